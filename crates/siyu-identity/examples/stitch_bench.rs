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

use siyu_identity::{Identity, IdentityGraph, IdentityKind, Policy, ProfileId};

/// splitmix64: a tiny deterministic generator, enough for synthetic data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const WECHAT: u8 = 1;
const MINI: u8 = 2;
const PHONE: u8 = 4;
const TAOBAO: u8 = 8;
const JD: u8 = 16;
const WEIBO: u8 = 32;
const CARD: u8 = 64;
const DESK: u8 = 128; // gives a front-desk phone instead of their own

/// Events a customer produces, by kind.
#[derive(Clone, Copy)]
enum Event {
    Follow,
    MiniLogin,
    SmsSignup,
    TaobaoOrder,
    JdOrder,
    WeiboFollow,
    CardIssued,
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn token(prefix: &str, seed: u64, len: usize) -> String {
    let mut s = String::with_capacity(prefix.len() + len);
    s.push_str(prefix);
    let mut h = seed;
    for i in 0..len {
        if i % 10 == 0 {
            h = mix(h ^ i as u64);
        }
        s.push(char::from(B64[(h & 63) as usize]));
        h >>= 6;
    }
    s
}

struct Generator {
    seed: u64,
    channels: Vec<u8>,
    desks: u64,
}

impl Generator {
    fn value(&self, c: u32, salt: u64) -> u64 {
        mix(self.seed ^ (u64::from(c) << 8) ^ salt)
    }

    fn phone(&self, c: u32) -> String {
        let h = self.value(c, 1);
        if self.channels[c as usize] & DESK != 0 {
            let desk = h % self.desks;
            return format!("+86 139 {:04} {:04}", desk / 10_000 % 10_000, desk % 10_000);
        }
        if h.is_multiple_of(200) {
            return "13800138000".into();
        }
        let second = 3 + (h >> 8) % 7;
        let rest = (h >> 16) % 1_000_000_000;
        if h.is_multiple_of(3) {
            format!(
                "1{second}{} {:04} {:04}",
                rest / 100_000_000,
                rest / 10_000 % 10_000,
                rest % 10_000
            )
        } else {
            format!("1{second}{rest:09}")
        }
    }

    fn identities(&self, c: u32, event: Event) -> Vec<Identity> {
        let ch = self.channels[c as usize];
        let parse = |kind: &IdentityKind, raw: &str| Identity::parse(kind.clone(), raw).unwrap();
        let with_phone = |mut v: Vec<Identity>, share: u64| {
            if ch & PHONE != 0 && self.value(c, 9 + 16 * event as u64) % 100 < share {
                v.push(parse(&IdentityKind::Phone, &self.phone(c)));
            }
            v
        };
        let union = || parse(&IdentityKind::Unionid, &token("o", self.value(c, 2), 27));
        match event {
            // Following, and for 40% signing up as a member in the account's H5 page.
            Event::Follow => with_phone(
                vec![
                    parse(&OA.with(|k| k.clone()), &token("oA", self.value(c, 3), 26)),
                    union(),
                ],
                40,
            ),
            Event::MiniLogin => with_phone(
                vec![
                    parse(&MP.with(|k| k.clone()), &token("oM", self.value(c, 4), 26)),
                    union(),
                ],
                80,
            ),
            Event::SmsSignup => with_phone(Vec::new(), 100),
            Event::TaobaoOrder => {
                let h = self.value(c, 5);
                let nick = if h.is_multiple_of(200) {
                    "null".into()
                } else {
                    token("tb_", h, 12)
                };
                with_phone(vec![parse(&IdentityKind::Taobao, &nick)], 90)
            }
            Event::JdOrder => with_phone(
                vec![parse(
                    &IdentityKind::Jd,
                    &token("jd_", self.value(c, 6), 10),
                )],
                90,
            ),
            Event::WeiboFollow => {
                let uid = format!("{}", 1_000_000_000 + self.value(c, 7) % 8_000_000_000);
                with_phone(vec![parse(&IdentityKind::Weibo, &uid)], 10)
            }
            Event::CardIssued => with_phone(
                vec![parse(
                    &IdentityKind::MemberCard,
                    &format!("VIP{:010}", self.value(c, 8) % 10_000_000_000),
                )],
                100,
            ),
        }
    }
}

thread_local! {
    static OA: IdentityKind = IdentityKind::openid("wx8a7f6e5d4c3b2a10").unwrap();
    static MP: IdentityKind = IdentityKind::openid("wx0f1e2d3c4b5a6978").unwrap();
}

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

/// Picks 1–4 channels, a customer's identifiers counted as the generator will emit them.
fn channels(rng: &mut Rng) -> (u8, usize) {
    let weighted = [
        (WECHAT, 30),
        (PHONE, 30),
        (TAOBAO, 15),
        (JD, 10),
        (WEIBO, 5),
        (CARD, 10),
    ];
    let k = 1 + rng.below(4);
    let mut ch = 0u8;
    for _ in 0..k {
        let mut roll = rng.below(100) as i64;
        for (c, w) in weighted {
            roll -= w;
            if roll < 0 {
                ch |= c;
                break;
            }
        }
    }
    if ch & WECHAT != 0 && rng.below(100) < 30 {
        ch |= MINI;
    }
    if ch & PHONE != 0 && rng.below(100) < 1 {
        ch |= DESK;
    }
    let ids = [WECHAT, MINI, PHONE, TAOBAO, JD, WEIBO, CARD]
        .iter()
        .filter(|&&c| ch & c != 0)
        .count()
        + usize::from(ch & WECHAT != 0);
    (ch, ids)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let target: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(42);
    let mut rng = Rng(seed);

    let t = Instant::now();
    let mut chans = Vec::new();
    let mut events: Vec<(u32, u8)> = Vec::new();
    let mut identifiers = 0;
    while identifiers < target {
        let c = chans.len() as u32;
        let (ch, ids) = channels(&mut rng);
        identifiers += ids;
        chans.push(ch);
        let mut push = |e: u8| events.push((c, e));
        if ch & WECHAT != 0 {
            push(0)
        }
        if ch & MINI != 0 {
            push(1)
        }
        if ch & PHONE != 0 && ch & !(PHONE | DESK) == 0 {
            push(2)
        }
        if ch & TAOBAO != 0 {
            push(3)
        }
        if ch & JD != 0 {
            push(4)
        }
        if ch & WEIBO != 0 {
            push(5)
        }
        if ch & CARD != 0 {
            push(6)
        }
    }
    for i in (1..events.len()).rev() {
        events.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let customers = chans.len();
    let gen = Generator {
        seed,
        channels: chans,
        desks: (customers as u64 / 2_000).max(1),
    };
    let kinds = [
        Event::Follow,
        Event::MiniLogin,
        Event::SmsSignup,
        Event::TaobaoOrder,
        Event::JdOrder,
        Event::WeiboFollow,
        Event::CardIssued,
    ];
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
            .map(|&(c, e)| gen.identities(c, kinds[e as usize]))
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
fn quality(gen: &Generator, graph: &IdentityGraph, customers: usize) {
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
            for id in gen.identities(c, e) {
                if *id.kind() == IdentityKind::Phone && gen.channels[c as usize] & DESK != 0 {
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
