//! Parses an export and prints what the import would see: every record as a JSON line with
//! `--records`, then the summary JSON line, timing and peak memory on stderr.
//!
//! `cargo run --release -p siyu-import --example scan -- taobao-orders FILE [--mapping M] [--encoding gbk] [--records]`

use std::time::Instant;

use siyu_import::{read, Mapping, OpenOptions, Preset, TextEncoding};

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(preset), Some(file)) = (args.first(), args.get(1)) else {
        return Err(
            "usage: scan PRESET|custom FILE [--mapping M] [--encoding E] [--records]".into(),
        );
    };
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let mapping = flag("--mapping").map(Mapping::load).transpose()?;
    let spec = match (Preset::parse(preset), &mapping) {
        (Some(p), Some(m)) => m.apply(p.spec())?,
        (Some(p), None) => p.spec(),
        (None, Some(m)) => m.spec()?,
        (None, None) => return Err(format!("unknown preset {preset}").into()),
    };
    let options = OpenOptions {
        encoding: flag("--encoding").and_then(|e| TextEncoding::parse(e)),
        ..OpenOptions::default()
    };
    let print = args.iter().any(|a| a == "--records");
    let start = Instant::now();
    let records = read(file, spec, &options)?;
    eprintln!("{:?}", records.source());
    let summary = records.summarise(|record| {
        if print {
            println!("{}", serde_json::to_string(&record).unwrap_or_default());
        }
    })?;
    let elapsed = start.elapsed();
    for line in summary.report_lines().take(20) {
        eprintln!("{line}");
    }
    println!("{}", summary.to_json_line(0));
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(str::to_string)
        })
        .unwrap_or_default();
    eprintln!(
        "{} rows in {:.2?} ({:.0} rows/s); {hwm}",
        summary.rows,
        elapsed,
        summary.rows as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}
