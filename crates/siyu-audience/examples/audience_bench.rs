//! Builds an audience index of N synthetic profiles and times segment evaluation and
//! incremental upserts.
//!
//! ```text
//! cargo run --release -p siyu-audience --example audience_bench -- 10000000
//! ```

use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use siyu_audience::{synth, Index};
use siyu_domain::segment::{ActivityState, Expr, Pred, Range, RfmCell, Touch, Window};

/// 2026-01-01T00:00:00+08:00 plus a few seconds, so windows do not start on whole minutes.
const NOW: i64 = 1_767_196_800_000 + 23_456;

fn p(pred: Pred) -> Expr {
    Expr::Pred(pred)
}

fn days(d: i64) -> Window {
    Window { hours: 24 * d }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn percentile(mut v: Vec<Duration>, q: f64) -> Duration {
    v.sort_unstable();
    v[((v.len() - 1) as f64 * q) as usize]
}

/// Resident set size of this process, from /proc (Linux), in bytes.
fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn time_query(index: &Index<u64>, name: &str, expr: &Expr, runs: usize) {
    let mut times = Vec::with_capacity(runs);
    let mut count = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let bits = index.evaluate(expr, NOW).expect("no saved segments here");
        times.push(t.elapsed());
        count = bits.len();
    }
    println!(
        "  {name:<44} count {count:>9}  median {:>9.3} ms  (min {:.3}, max {:.3})",
        median(times.clone()).as_secs_f64() * 1e3,
        times
            .iter()
            .min()
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1e3,
        times
            .iter()
            .max()
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1e3,
    );
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.replace('_', "").parse().expect("N must be a number"))
        .unwrap_or(1_000_000);
    println!("audience_bench: {n} profiles");

    let t = Instant::now();
    let generated = synth::profiles(n, 42, NOW).count();
    println!(
        "generate only: {:.2} s ({generated} profiles)",
        t.elapsed().as_secs_f64()
    );

    let rss_before = rss().unwrap_or(0);
    let t = Instant::now();
    let mut index: Index<u64> = Index::with_capacity(n);
    for (i, facts) in synth::profiles(n, 42, NOW).enumerate() {
        index.upsert(i as u64, &facts);
    }
    let build = t.elapsed();
    let rss_after = rss().unwrap_or(0);
    println!(
        "build (generate + upsert): {:.2} s, {:.2} µs per profile",
        build.as_secs_f64(),
        build.as_secs_f64() * 1e6 / n.max(1) as f64
    );
    println!(
        "memory_bytes: {:.1} MiB; process RSS grew {:.1} MiB while building",
        mib(index.memory_bytes() as u64),
        mib(rss_after.saturating_sub(rss_before))
    );
    for (part, bytes) in index.memory_by_part() {
        println!("  {part:<32} {:>8.1} MiB", mib(bytes as u64));
    }

    let segment = Expr::And(vec![
        p(Pred::Tag("咖啡控".into())),
        p(Pred::Region {
            province: "安徽".into(),
            city: Some("合肥".into()),
        }),
        p(Pred::Bought {
            sku: Some("LATTE-L".into()),
            category: None,
            window: Some(days(30)),
        }),
        p(Pred::Active(days(7))),
        Expr::Not(Box::new(p(Pred::Channel {
            name: "poster-2".into(),
            touch: Touch::First,
        }))),
    ]);
    println!("segment evaluation (20 runs each):");
    time_query(
        &index,
        "five predicates (tag, 安徽/合肥, LATTE-L 30d, active 7d, not poster-2)",
        &segment,
        20,
    );
    let province_only = Expr::And(vec![
        p(Pred::Tag("咖啡控".into())),
        p(Pred::Region {
            province: "安徽".into(),
            city: None,
        }),
        p(Pred::Bought {
            sku: Some("LATTE-L".into()),
            category: None,
            window: Some(days(30)),
        }),
        p(Pred::Active(days(7))),
        Expr::Not(Box::new(p(Pred::Channel {
            name: "poster-2".into(),
            touch: Touch::First,
        }))),
    ]);
    time_query(&index, "same with province 安徽 only", &province_only, 20);
    time_query(
        &index,
        "bought(sku \"LATTE-L\", within 30d) alone",
        &p(Pred::Bought {
            sku: Some("LATTE-L".into()),
            category: None,
            window: Some(days(30)),
        }),
        20,
    );
    time_query(
        &index,
        "bought(category \"咖啡\", within 90d) alone",
        &p(Pred::Bought {
            sku: None,
            category: Some("咖啡".into()),
            window: Some(days(90)),
        }),
        20,
    );
    let broad = Expr::Or(vec![
        p(Pred::Active(days(7))),
        p(Pred::Bought {
            sku: None,
            category: Some("咖啡".into()),
            window: Some(days(90)),
        }),
        p(Pred::Points(Range {
            min: Some(1_000),
            max: None,
        })),
    ]);
    time_query(
        &index,
        "broad: active 7d or 咖啡 90d or points>=1000",
        &broad,
        20,
    );
    time_query(
        &index,
        "active(within 7d) alone",
        &p(Pred::Active(days(7))),
        20,
    );
    time_query(
        &index,
        "activity(dormant)",
        &p(Pred::Activity(ActivityState::Dormant)),
        20,
    );
    time_query(
        &index,
        "rfm(important_value)",
        &p(Pred::Rfm(RfmCell::ImportantValue)),
        20,
    );
    time_query(
        &index,
        "not tag(咖啡控)",
        &Expr::Not(Box::new(p(Pred::Tag("咖啡控".into())))),
        20,
    );

    // Incremental upserts: replace random existing profiles with fresh facts, then insert new
    // keys, one at a time.
    let mut rng = SmallRng::seed_from_u64(7);
    let fresh: Vec<_> = synth::profiles(2_000, 99, NOW).collect();
    let mut replace = Vec::with_capacity(1_000);
    for facts in &fresh[..1_000] {
        let key = rng.gen_range(0..n.max(1) as u64);
        let t = Instant::now();
        index.upsert(key, facts);
        replace.push(t.elapsed());
    }
    let mut insert = Vec::with_capacity(1_000);
    for (i, facts) in fresh[1_000..].iter().enumerate() {
        let key = (n + i) as u64;
        let t = Instant::now();
        index.upsert(key, facts);
        insert.push(t.elapsed());
    }
    let mut remove = Vec::with_capacity(1_000);
    for i in 0..1_000 {
        let key = (n + i) as u64;
        let t = Instant::now();
        index.remove(&key);
        remove.push(t.elapsed());
    }
    for (name, times) in [
        ("upsert replacing a profile", replace),
        ("upsert of a new key", insert),
        ("remove", remove),
    ] {
        println!(
            "{name:<28} median {:>7.1} µs  p99 {:>7.1} µs  (1000 runs)",
            median(times.clone()).as_secs_f64() * 1e6,
            percentile(times, 0.99).as_secs_f64() * 1e6,
        );
    }
    time_query(&index, "five predicates again after upserts", &segment, 20);
}
