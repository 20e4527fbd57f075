#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A 200,000-row export streams through in bounded memory. Alone in its test binary so no other
//! test's allocations touch the process's peak resident size.

use std::io::BufWriter;
use std::time::Instant;

use siyu_import::{read, OpenOptions, Preset};

const ROWS: u64 = 200_000;
const MAX_GROWTH_KIB: u64 = 50 * 1024;

/// A field of /proc/self/status in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn two_hundred_thousand_rows_stream_in_bounded_memory() {
    let file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    siyu_import::synth::write_taobao_orders(BufWriter::new(file.reopen().unwrap()), ROWS, 1000)
        .unwrap();
    let size = file.as_file().metadata().unwrap().len();

    // Reset the peak to the current size (Linux ≥ 4.0); if not allowed, the peak so far stands.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_kib("VmHWM:");
    let start = Instant::now();
    let mut keys = 0_u64;
    let records = read(
        file.path(),
        Preset::TaobaoOrders.spec(),
        &OpenOptions::default(),
    )
    .unwrap();
    let summary = records
        .summarise(|r| keys += r.idempotency_key.len() as u64)
        .unwrap();
    let elapsed = start.elapsed();
    let after = status_kib("VmHWM:");

    assert_eq!(summary.rows, ROWS);
    assert_eq!(summary.rejected, ROWS / 1000);
    assert_eq!(summary.ok, ROWS - ROWS / 1000);
    assert!(keys > 0);
    let growth = after.saturating_sub(before);
    eprintln!(
        "{ROWS} rows ({:.1} MiB GBK) in {elapsed:.2?}: {:.0} rows/s, {:.1} MiB/s; peak RSS {before} KiB -> {after} KiB (+{growth} KiB)",
        size as f64 / 1_048_576.0,
        ROWS as f64 / elapsed.as_secs_f64(),
        size as f64 / 1_048_576.0 / elapsed.as_secs_f64(),
    );
    assert!(growth < MAX_GROWTH_KIB, "peak memory grew by {growth} KiB");
}
