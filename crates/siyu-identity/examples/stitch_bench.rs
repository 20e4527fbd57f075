//! Stitching benchmark: generates customers on 1–4 channels, feeds their observations to one
//! `IdentityGraph` in shuffled order, and reports time, peak memory and stitching quality.
//!
//! ```text
//! cargo run --release -p siyu-identity --example stitch_bench -- [identifiers] [seed]
//! ```
//!
//! Channels: WeChat (Official Account openid + unionid, some also a mini-program openid), phone,
//! Taobao, JD, Weibo, member card. About 1% of customers give a shop's front-desk phone instead
//! of their own, and about 0.5% of phones and nicks are placeholders.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use siyu_identity::synth::{self, Event};
use siyu_identity::{Identity, IdentityGraph, IdentityKind, Policy, ProfileId};

fn status(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = s.lines().find(|l| l.starts_with(field)).unwrap_or("");
    line.split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// CPU seconds this process has used (user + system), robust to a busy machine.
fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit_once(')').map_or("", |(_, rest)| rest);
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime); field 3 is the first after the command name.
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) as f64 / 100.0
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let target: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(42);
    let t = Instant::now();
    let synth::Dataset {
        gen,
        events,
        customers,
        identifiers,
    } = synth::Dataset::generate(target, seed).unwrap();
    println!(
        "generated {customers} customers, ~{identifiers} identifiers, {} observations in {:.2?}",
        events.len(),
        t.elapsed()
    );

    let hwm_before = status("VmHWM:");
    let policy = match std::env::var("GUARDS") {
        // For comparison: no placeholders and no shared threshold.
        Ok(v) if v == "off" => Policy {
            shared_threshold: usize::MAX,
            placeholders: siyu_identity::Placeholders::none(),
        },
        _ => Policy::default(),
    };
    let mut graph = match std::env::var("CAPACITY") {
        // A rebuild at startup knows its row counts; an import grows the tables as it goes.
        Ok(_) => IdentityGraph::with_capacity(policy, identifiers, identifiers / 2),
        Err(_) => IdentityGraph::new(policy),
    };
    let (mut merges, mut conflicts, mut ignored) = (0, 0, 0);
    let (mut parse_time, mut stitch_time) = (Duration::ZERO, Duration::ZERO);
    let cpu = cpu_seconds();
    // Input is parsed a chunk at a time, outside the timed stitching, without holding it all.
    for (chunk_no, chunk) in events.chunks(65_536).enumerate() {
        let t = Instant::now();
        let input: Vec<Vec<Identity>> = chunk
            .iter()
            .map(|&(c, e)| gen.identities(c, e).unwrap())
            .collect();
        parse_time += t.elapsed();
        let t = Instant::now();
        for (n, ids) in input.iter().enumerate() {
            let out = graph.observe(ids, (chunk_no * 65_536 + n) as i64).unwrap();
            merges += out.merged.len();
            conflicts += out.conflicts.len();
            ignored += out.ignored.len();
        }
        stitch_time += t.elapsed();
    }
    let cpu = cpu_seconds() - cpu;
    let hwm_after = status("VmHWM:");
    println!(
        "stitched {} observations in {:.2?} ({:.0}/s); generating and parsing the input took {:.2?} more; {cpu:.2} s CPU in all",
        events.len(),
        stitch_time,
        events.len() as f64 / stitch_time.as_secs_f64(),
        parse_time,
    );
    println!(
        "graph: {} identities, {} live profiles ({} ids), {} merges, {} conflicts reported ({} kept), {} ignored",
        graph.identities(),
        graph.profiles(),
        graph.profile_ids(),
        merges,
        conflicts,
        graph.conflicts().len(),
        ignored
    );
    println!(
        "memory: VmHWM {:.0} MiB before stitching, {:.0} MiB after (+{:.0} MiB); graph heap ≈ {:.0} MiB",
        mib(hwm_before),
        mib(hwm_after),
        mib(hwm_after - hwm_before),
        graph.heap_bytes() as f64 / 1048576.0
    );
    if std::env::var("NO_QUALITY").is_err() {
        quality(&gen, &graph, customers);
    }
}

/// Compares profiles with the generated truth (ignoring front-desk phones and placeholders).
fn quality(gen: &synth::Generator, graph: &IdentityGraph, customers: usize) {
    let kinds = [
        Event::Follow,
        Event::MiniLogin,
        Event::TaobaoOrder,
        Event::JdOrder,
        Event::WeiboFollow,
        Event::CardIssued,
        Event::SmsSignup,
    ];
    let mut owner = vec![u32::MAX; graph.profile_ids()];
    let (mut split, mut whole, mut shared_profiles) = (0usize, 0usize, 0usize);
    for c in 0..customers as u32 {
        let mut profiles: Vec<ProfileId> = Vec::new();
        for &e in &kinds {
            for id in gen.identities(c, e).unwrap() {
                if *id.kind() == IdentityKind::Phone && gen.shares_desk_phone(c) {
                    continue;
                }
                if let Some(p) = graph.profile_of(&id) {
                    if !profiles.contains(&p) {
                        profiles.push(p);
                    }
                }
            }
        }
        if profiles.len() > 1 {
            split += 1;
        } else {
            whole += 1
        }
        for p in profiles {
            let o = &mut owner[p.get() as usize];
            if *o == u32::MAX {
                *o = c;
            } else if *o != c {
                *o = u32::MAX - 1;
                shared_profiles += 1;
            }
        }
    }
    println!(
        "quality: {whole} customers on one profile, {split} spread over several (channels never seen together); {shared_profiles} extra customers on a profile holding another customer"
    );
}
