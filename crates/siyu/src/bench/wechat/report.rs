//! Summaries, CPU shares and the final JSON line.

use super::*;

// ---------------------------------------------------------------------------------------
// Figures.

/// Throughput and latency of one run.
pub(super) struct Summary {
    pub(super) requests: usize,
    pub(super) rps: f64,
    pub(super) p50_ms: f64,
    pub(super) p99_ms: f64,
    pub(super) max_ms: f64,
    pub(super) cpu: Option<CpuShare>,
}

/// Summarizes `run`, or fails if any request failed.
pub(super) fn summarize(what: &str, mut run: Run) -> Result<Summary, String> {
    if run.tally.errors > 0 {
        return Err(format!(
            "{what}: {} of {} requests failed; first: {}",
            run.tally.errors,
            run.tally.latencies.len(),
            run.tally.first_error.unwrap_or_default()
        ));
    }
    let l = &mut run.tally.latencies;
    l.sort_unstable();
    let pct = |p: f64| {
        let rank = ((p * l.len() as f64).ceil() as usize).clamp(1, l.len().max(1));
        l.get(rank - 1).map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    Ok(Summary {
        requests: l.len(),
        rps: l.len() as f64 / run.elapsed.as_secs_f64(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: pct(1.0),
        cpu: run.cpu,
    })
}

/// CPU clock ticks from `/proc`: this process, and all CPUs busy and in total.
#[derive(Clone, Copy)]
pub(super) struct CpuSample {
    pub(super) process: u64,
    pub(super) busy: u64,
    pub(super) total: u64,
}

/// Shares of the whole machine's CPU time during a run, in percent.
#[derive(Clone, Copy)]
pub(super) struct CpuShare {
    pub(super) this_process: f64,
    pub(super) other: f64,
    pub(super) idle: f64,
}

impl CpuSample {
    pub(super) fn now() -> Option<CpuSample> {
        let me = std::fs::read_to_string("/proc/self/stat").ok()?;
        let fields: Vec<&str> = me.rsplit_once(')')?.1.split_whitespace().collect();
        // utime and stime are fields 14 and 15; the text after `)` starts at field 3.
        let process = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        let all = std::fs::read_to_string("/proc/stat").ok()?;
        let cpu: Vec<u64> = all
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .take(8)
            .filter_map(|x| x.parse().ok())
            .collect();
        let total: u64 = cpu.iter().sum();
        let idle = cpu.get(3)? + cpu.get(4)?;
        Some(CpuSample {
            process,
            busy: total.saturating_sub(idle),
            total,
        })
    }

    pub(super) fn share(&self, later: &CpuSample) -> CpuShare {
        let total = later.total.saturating_sub(self.total).max(1) as f64;
        let process = later.process.saturating_sub(self.process) as f64;
        let busy = later.busy.saturating_sub(self.busy) as f64;
        CpuShare {
            this_process: 100.0 * process / total,
            other: 100.0 * (busy - process).max(0.0) / total,
            idle: 100.0 * (total - busy) / total,
        }
    }
}

pub(super) fn line(target: &str, what: &str, s: &Summary) {
    let cpu = s.cpu.map_or(String::new(), |c| {
        format!(
            "   cpu: bench process {:.0}%, other {:.0}%, idle {:.0}%",
            c.this_process, c.other, c.idle
        )
    });
    println!(
        "{target:<9}{what:<8}{:>6} req {:>8.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms{cpu}",
        s.requests, s.rps, s.p50_ms, s.p99_ms, s.max_ms
    );
}

/// Everything measured against one target.
pub(super) struct Figures {
    pub(super) closed: Summary,
    pub(super) paced: Summary,
    pub(super) serial: Summary,
    /// Against siyu only: the same deliveries again, answered from the dedupe record.
    pub(super) retry: Option<Summary>,
    pub(super) serial_retry: Option<Summary>,
    pub(super) phases: Option<Phases>,
    pub(super) durable: Option<i64>,
}

pub(super) fn report(target: &str, f: &Figures) {
    line(target, "closed", &f.closed);
    if let Some(r) = &f.retry {
        line(target, "retry", r);
    }
    line(target, "serial", &f.serial);
    if let Some(r) = &f.serial_retry {
        line(target, "s-retry", r);
        println!(
            "{target:<9}serial fresh − retry p50: {:.2} ms (the durable write transaction)",
            f.serial.p50_ms - r.p50_ms
        );
    }
    line(target, "paced", &f.paced);
    if let Some(p) = &f.phases {
        println!(
            "{target:<9}phases (µs, one at a time): account lookup {:.0}, unseal {:.0}, verify+decrypt+parse {:.0}, dedupe read {:.0}, seal reply {:.0}",
            p.lookup_us, p.unseal_us, p.open_us, p.dedupe_read_us, p.seal_us
        );
    }
    if let Some(n) = f.durable {
        println!("{target:<9}durable: {n} inbound rows, one per distinct delivery sent");
    }
}

/// A throughput ratio to three places: siyu's ratios to the bare handler are small.
pub(super) fn ratio(a: f64, b: f64) -> f64 {
    (a / b * 1000.0).round() / 1000.0
}

pub(super) fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub(super) fn figures_json(o: &Options, bare: &Figures, sqlite: &Figures, pg: &Figures) -> Value {
    let retry = |f: &Figures| f.retry.as_ref().map(|r| r.rps.round());
    let write_ms = |f: &Figures| {
        f.serial_retry
            .as_ref()
            .map(|r| round(f.serial.p50_ms - r.p50_ms))
    };
    json!({
        "bench": "wechat-callback", "requests": o.requests, "concurrency": o.concurrency,
        "bare_rps": bare.closed.rps.round(), "sqlite_rps": sqlite.closed.rps.round(),
        "postgres_rps": pg.closed.rps.round(),
        "sqlite_vs_bare": ratio(sqlite.closed.rps, bare.closed.rps),
        "postgres_vs_bare": ratio(pg.closed.rps, bare.closed.rps),
        "bare_p50_ms": round(bare.closed.p50_ms), "bare_p99_ms": round(bare.closed.p99_ms),
        "sqlite_p50_ms": round(sqlite.closed.p50_ms), "sqlite_p99_ms": round(sqlite.closed.p99_ms),
        "postgres_p50_ms": round(pg.closed.p50_ms), "postgres_p99_ms": round(pg.closed.p99_ms),
        "paced_rate": o.rate, "paced_requests": bare.paced.requests,
        "bare_paced_p99_ms": round(bare.paced.p99_ms),
        "sqlite_paced_p50_ms": round(sqlite.paced.p50_ms), "sqlite_paced_p99_ms": round(sqlite.paced.p99_ms),
        "postgres_paced_p50_ms": round(pg.paced.p50_ms), "postgres_paced_p99_ms": round(pg.paced.p99_ms),
        "sqlite_retry_rps": retry(sqlite), "postgres_retry_rps": retry(pg),
        "sqlite_write_tx_ms": write_ms(sqlite), "postgres_write_tx_ms": write_ms(pg),
        "errors": 0,
    })
}
