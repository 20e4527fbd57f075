//! `siyu bench import`: a generated Taobao order export of N rows (GBK, like the real one),
//! parsed alone (the baseline: what reading the file costs) and then imported into customer
//! profiles on SQLite and PostgreSQL through the same pipeline as `siyu import` (stitching,
//! attributes, orders), then imported again (idempotent: nothing changes). Time, rows per second
//! and peak memory; the last line is JSON.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use serde_json::json;
use siyu_import::{OpenOptions, Preset};
use siyu_server::app::{offline_state, open_store};
use siyu_server::identity::import::run_file;
use siyu_server::services::Actor;
use siyu_server::Config;

/// Options of the bench.
pub struct Options {
    /// Rows in the generated file.
    pub rows: u64,
    /// Also import into PostgreSQL.
    pub postgres: bool,
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

struct Run {
    first_ms: f64,
    again_ms: f64,
    imported: u64,
    created: u64,
    merged: u64,
    unchanged_again: u64,
}

async fn import_into(database_url: &str, dir: &Path, file: &Path) -> Result<Run, String> {
    let env: HashMap<&str, String> = HashMap::from([
        ("SIYU_DATABASE_URL", database_url.to_owned()),
        (
            "SIYU_SECRET_KEY",
            "siyu-bench-secret-0123456789abcdef0123".to_owned(),
        ),
        ("SIYU_DATA_DIR", dir.display().to_string()),
    ]);
    let config = Config::load_from(None, |k| env.get(k).cloned()).map_err(|e| e.to_string())?;
    let store = open_store(&config, true).await.map_err(|e| e.to_string())?;
    let state = offline_state(store, config).map_err(|e| e.to_string())?;
    let tenant =
        siyu_server::services::create_tenant(&state.store, "导入基准", &Actor::Cli, state.now())
            .await
            .map_err(|e| e.to_string())?
            .0
            .id;
    let name = file.display().to_string();
    let mut times = Vec::new();
    let mut reports = Vec::new();
    for _ in 0..2 {
        let records = siyu_import::read(file, Preset::TaobaoOrders.spec(), &OpenOptions::default())
            .map_err(|e| e.to_string())?;
        let start = Instant::now();
        let report = run_file(
            &state,
            &tenant,
            records,
            &name,
            Preset::TaobaoOrders,
            false,
            &Actor::Cli,
            &|_, _, _| {},
        )
        .await?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        reports.push(report);
    }
    state.store.close().await;
    let (first, again) = (&reports[0].applied, &reports[1].applied);
    Ok(Run {
        first_ms: times[0],
        again_ms: times[1],
        imported: first.imported,
        created: first.created,
        merged: first.merged,
        unchanged_again: again.imported - again.changed,
    })
}

/// Runs the bench.
pub async fn run(o: Options) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!(
        "siyu-bench-import-{}",
        siyu_domain::JobId::generate().as_str()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let file = dir.join("taobao_orders.csv");
    let out = std::io::BufWriter::new(std::fs::File::create(&file).map_err(|e| e.to_string())?);
    // One bad row in 1 000, as real exports have.
    siyu_import::synth::write_taobao_orders(out, o.rows, 1_000).map_err(|e| e.to_string())?;
    let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    println!(
        "generated {} rows ({:.1} MB) at {}",
        o.rows,
        bytes as f64 / 1e6,
        file.display()
    );

    let start = Instant::now();
    let parsed = siyu_import::check(&file, Preset::TaobaoOrders.spec(), &OpenOptions::default())
        .map_err(|e| e.to_string())?;
    let parse_ms = start.elapsed().as_secs_f64() * 1000.0;
    println!(
        "parse only: {} rows, {} rejected in {:.0} ms ({:.0} rows/s)",
        parsed.rows,
        parsed.rejected,
        parse_ms,
        parsed.rows as f64 / (parse_ms / 1000.0)
    );

    let sqlite = import_into(&format!("sqlite://{}/siyu.db", dir.display()), &dir, &file).await?;
    let rate = |ms: f64| o.rows as f64 / (ms / 1000.0);
    println!(
        "sqlite: imported {} ({} customers, {} merges) in {:.0} ms ({:.0} rows/s); again: {} unchanged in {:.0} ms",
        sqlite.imported,
        sqlite.created,
        sqlite.merged,
        sqlite.first_ms,
        rate(sqlite.first_ms),
        sqlite.unchanged_again,
        sqlite.again_ms
    );
    let postgres = if o.postgres {
        let base = std::env::var("SIYU_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let db = format!("siyu_bench_import_{}", std::process::id());
        let admin = siyu_store::Store::connect(&base, 2)
            .await
            .map_err(|e| e.to_string())?;
        admin
            .execute_raw(&format!("CREATE DATABASE {db}"))
            .await
            .map_err(|e| e.to_string())?;
        let url = match base.rsplit_once('/') {
            Some((head, _)) => format!("{head}/{db}"),
            None => return Err("SIYU_BENCH_POSTGRES_URL has no database name".into()),
        };
        let run = import_into(&url, &dir, &file).await;
        let _ = admin
            .execute_raw(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
            .await;
        let run = run?;
        println!(
            "postgres: imported {} in {:.0} ms ({:.0} rows/s); again: {} unchanged in {:.0} ms",
            run.imported,
            run.first_ms,
            rate(run.first_ms),
            run.unchanged_again,
            run.again_ms
        );
        Some(run)
    } else {
        None
    };
    let _ = std::fs::remove_dir_all(&dir);
    let peak = peak_rss_mib();
    println!("peak RSS {peak:.0} MiB");
    let line = json!({
        "bench": "import",
        "rows": o.rows,
        "file_bytes": bytes,
        "parse_ms": parse_ms.round(),
        "sqlite_ms": sqlite.first_ms.round(),
        "sqlite_rows_per_s": rate(sqlite.first_ms).round(),
        "sqlite_again_ms": sqlite.again_ms.round(),
        "imported": sqlite.imported,
        "customers": sqlite.created,
        "merges": sqlite.merged,
        "unchanged_again": sqlite.unchanged_again,
        "postgres_ms": postgres.as_ref().map(|p| p.first_ms.round()),
        "postgres_again_ms": postgres.as_ref().map(|p| p.again_ms.round()),
        "import_vs_parse": (sqlite.first_ms / parse_ms * 10.0).round() / 10.0,
        "peak_rss_mib": peak.round(),
    });
    println!("{line}");
    Ok(())
}
