//! Writes a synthetic Taobao order export (GBK, CRLF) for the import benchmark.
//!
//! `cargo run --release -p siyu-import --example gen_million -- [PATH] [ROWS] [BAD_EVERY]`
//! (defaults: `target/taobao_orders_1m.csv`, 1,000,000 rows, no bad rows).

use std::io::BufWriter;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "target/taobao_orders_1m.csv".to_string());
    let rows = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let bad_every = args.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    let written = std::fs::File::create(&path)
        .and_then(|f| siyu_import::synth::write_taobao_orders(BufWriter::new(f), rows, bad_every));
    match written {
        Ok(()) => eprintln!("wrote {rows} orders to {path}"),
        Err(e) => {
            eprintln!("cannot write {path}: {e}");
            std::process::exit(1);
        }
    }
}
