//! Synthetic customers for benchmarks: each on 1–4 channels (WeChat, with a mini program for
//! some; phone; Taobao; JD; Weibo; member card), observed once per channel in shuffled order.
//! About 1% give a shop's front-desk phone instead of their own, and about 0.5% of phones and
//! nicks are placeholders. Deterministic for a seed; used by `siyu bench identity` and the
//! `stitch_bench` example.

use crate::{Identity, IdentityKind};

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

// A customer's channels, as bits.
const WECHAT: u8 = 1;
const MINI: u8 = 2;
const PHONE: u8 = 4;
const TAOBAO: u8 = 8;
const JD: u8 = 16;
const WEIBO: u8 = 32;
const CARD: u8 = 64;
/// Gives a shop's front-desk phone instead of their own.
const DESK: u8 = 128;

/// Events a customer produces, one observation each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Follows the Official Account: OA openid + unionid, 40% with a phone (H5 member signup).
    Follow,
    /// Logs in to the mini program: mini-program openid + unionid, 80% with a phone.
    MiniLogin,
    /// Signs up by SMS: a phone alone (customers whose only channel is their phone).
    SmsSignup,
    /// A Taobao order: the buyer nick, 90% with a phone.
    TaobaoOrder,
    /// A JD order: the pin, 90% with a phone.
    JdOrder,
    /// Follows on Weibo: the uid, 10% with a phone.
    WeiboFollow,
    /// A member card issued at a shop: card number and phone.
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

/// Derives every customer's identities from the seed and the customer's channels.
#[derive(Debug)]
pub struct Generator {
    seed: u64,
    channels: Vec<u8>,
    /// Front-desk phones shared by the customers with `DESK`.
    desks: u64,
    /// The Official Account's openid kind.
    oa: IdentityKind,
    /// The mini program's openid kind.
    mp: IdentityKind,
}

impl Generator {
    fn value(&self, c: u32, salt: u64) -> u64 {
        mix(self.seed ^ (u64::from(c) << 8) ^ salt)
    }

    /// Whether customer `c` gives a shop's front-desk phone (shared with other customers)
    /// instead of their own.
    pub fn shares_desk_phone(&self, c: u32) -> bool {
        self.channels[c as usize] & DESK != 0
    }

    fn phone(&self, c: u32) -> String {
        let h = self.value(c, 1);
        if self.channels[c as usize] & DESK != 0 {
            let desk = h % self.desks;
            return format!("+86 139 {:04} {:04}", desk / 10_000 % 10_000, desk % 10_000);
        }
        // A placeholder phone.
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

    /// The identities customer `c` shows in `event`, parsed as an import would parse them.
    pub fn identities(&self, c: u32, event: Event) -> Result<Vec<Identity>, String> {
        let ch = self.channels[c as usize];
        let parse = |kind: &IdentityKind, raw: &str| {
            Identity::parse(kind.clone(), raw).map_err(|e| format!("generated {kind}: {e}"))
        };
        let with_phone = |mut v: Vec<Identity>, share: u64| {
            if ch & PHONE != 0 && self.value(c, 9 + 16 * event as u64) % 100 < share {
                v.push(parse(&IdentityKind::Phone, &self.phone(c))?);
            }
            Ok(v)
        };
        let union = || parse(&IdentityKind::Unionid, &token("o", self.value(c, 2), 27));
        match event {
            Event::Follow => with_phone(
                vec![
                    parse(&self.oa, &token("oA", self.value(c, 3), 26))?,
                    union()?,
                ],
                40,
            ),
            Event::MiniLogin => with_phone(
                vec![
                    parse(&self.mp, &token("oM", self.value(c, 4), 26))?,
                    union()?,
                ],
                80,
            ),
            Event::SmsSignup => with_phone(Vec::new(), 100),
            Event::TaobaoOrder => {
                let h = self.value(c, 5);
                // A placeholder nick.
                let nick = if h.is_multiple_of(200) {
                    "null".into()
                } else {
                    token("tb_", h, 12)
                };
                with_phone(vec![parse(&IdentityKind::Taobao, &nick)?], 90)
            }
            Event::JdOrder => with_phone(
                vec![parse(
                    &IdentityKind::Jd,
                    &token("jd_", self.value(c, 6), 10),
                )?],
                90,
            ),
            Event::WeiboFollow => {
                let uid = format!("{}", 1_000_000_000 + self.value(c, 7) % 8_000_000_000);
                with_phone(vec![parse(&IdentityKind::Weibo, &uid)?], 10)
            }
            Event::CardIssued => with_phone(
                vec![parse(
                    &IdentityKind::MemberCard,
                    &format!("VIP{:010}", self.value(c, 8) % 10_000_000_000),
                )?],
                100,
            ),
        }
    }
}

/// Picks 1–4 channels; returns them with the customer's identifiers counted as the generator
/// will emit them.
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

/// Customers and their observations in arrival order.
#[derive(Debug)]
pub struct Dataset {
    /// Derives each observation's identities.
    pub gen: Generator,
    /// (customer, event), shuffled.
    pub events: Vec<(u32, Event)>,
    /// Customers generated.
    pub customers: usize,
    /// Identifiers as counted while generating (distinct identities are slightly fewer: shared
    /// front-desk phones, placeholders, phones a customer never gave).
    pub identifiers: usize,
}

impl Dataset {
    /// Customers until `target` identifiers, the same for the same `target` and `seed`.
    pub fn generate(target: usize, seed: u64) -> Result<Self, String> {
        let mut rng = Rng(seed);
        let mut chans = Vec::new();
        let mut events: Vec<(u32, Event)> = Vec::new();
        let mut identifiers = 0;
        while identifiers < target {
            let c = u32::try_from(chans.len()).map_err(|_| "too many customers".to_owned())?;
            let (ch, ids) = channels(&mut rng);
            identifiers += ids;
            chans.push(ch);
            let mut push = |e: Event| events.push((c, e));
            if ch & WECHAT != 0 {
                push(Event::Follow);
            }
            if ch & MINI != 0 {
                push(Event::MiniLogin);
            }
            if ch & PHONE != 0 && ch & !(PHONE | DESK) == 0 {
                push(Event::SmsSignup);
            }
            if ch & TAOBAO != 0 {
                push(Event::TaobaoOrder);
            }
            if ch & JD != 0 {
                push(Event::JdOrder);
            }
            if ch & WEIBO != 0 {
                push(Event::WeiboFollow);
            }
            if ch & CARD != 0 {
                push(Event::CardIssued);
            }
        }
        // Fisher–Yates: customers' observations arrive interleaved.
        for i in (1..events.len()).rev() {
            events.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let customers = chans.len();
        let openid = |app: &str| IdentityKind::openid(app).map_err(|e| e.to_string());
        let gen = Generator {
            seed,
            channels: chans,
            desks: (customers as u64 / 2_000).max(1),
            oa: openid("wx8a7f6e5d4c3b2a10")?,
            mp: openid("wx0f1e2d3c4b5a6978")?,
        };
        Ok(Dataset {
            gen,
            events,
            customers,
            identifiers,
        })
    }
}
