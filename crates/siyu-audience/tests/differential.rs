//! The index against the reference evaluator: random small populations built by random
//! upserts, removals and re-upserts, random segments over every predicate kind, times and
//! numbers clustered at the boundaries the rules care about.

use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;
use siyu_audience::{matches, Facts, Index, Purchase};
use siyu_domain::segment::{ActivityState, Expr, Pred, Range, RfmCell, Touch, Window};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;

/// Window lengths in hours.
const WINDOWS: [i64; 6] = [1, 24, 168, 720, 24 * 90, 24 * 365 * 3];
/// How long ago, before `now`, a time lies; each is nudged by one of [`nudges`].
const AGES: [i64; 14] = [
    0,
    MINUTE,
    HOUR,
    DAY,
    7 * DAY,
    30 * DAY,
    90 * DAY,
    180 * DAY,
    181 * DAY,
    365 * DAY,
    3 * 365 * DAY,
    -DAY,
    2 * DAY + 17 * MINUTE,
    400 * DAY,
];
const NOWS: [i64; 4] = [
    1_700_000_023_456,
    1_700_000_040_000,
    5 * DAY + 12_345,
    -3 * DAY + 777,
];

/// Nudges around an age: exact, ±1 ms, ±1 minute, and onto/around the minute boundary of
/// `now - age`.
fn nudges(now: i64) -> [i64; 8] {
    let rem = now.rem_euclid(MINUTE);
    [0, 1, -1, MINUTE, -MINUTE, rem, rem + 1, rem - 1]
}

/// A time, resolved against `now`.
#[derive(Debug, Clone, Copy)]
enum At {
    Edge(usize, usize),
    Ago(i64),
}

impl At {
    fn resolve(self, now: i64) -> i64 {
        match self {
            At::Edge(age, nudge) => now - AGES[age] - nudges(now)[nudge],
            At::Ago(ms) => now - ms,
        }
    }
}

fn at() -> impl Strategy<Value = At> {
    prop_oneof![
        5 => (0..AGES.len(), prop_oneof![2 => 0..3usize, 1 => 0..8usize])
            .prop_map(|(a, n)| At::Edge(a, n)),
        1 => (-DAY..4 * 365 * DAY).prop_map(At::Ago),
    ]
}

fn window() -> impl Strategy<Value = Window> {
    prop_oneof![
        3 => prop::sample::select(&WINDOWS[..]).prop_map(|hours| Window { hours }),
        1 => (1i64..24 * 400).prop_map(|hours| Window { hours }),
    ]
}

fn name(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(pool).prop_map(str::to_owned)
}

fn opt_name(pool: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(0.8, name(pool))
}

fn names(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(name(pool), 0..4)
}

const TAGS: &[&str] = &["咖啡控", "甜品", "新客", "x"];
const PROVINCES: &[&str] = &["安徽", "广东"];
const CITIES: &[&str] = &["合肥", "深圳", "广州"];
const CHANNELS: &[&str] = &["poster-1", "poster-2", "table-1"];
const LEVELS: &[&str] = &["普通", "金卡"];
const SKUS: &[&str] = &["LATTE-L", "CAKE", "BEANS"];
const CATEGORIES: &[&str] = &["咖啡", "甜品"];
const KINDS: &[&str] = &["openid", "phone", "taobao"];
const CONSENTS: &[&str] = &["marketing", "sms"];

/// Numbers near the boundaries of points, orders and spend rules.
const NUMBERS: [i64; 16] = [
    -5, -1, 0, 1, 2, 3, 4, 5, 10, 99, 100, 9_999, 10_000, 49_999, 50_000, 500_000,
];

fn number() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => prop::sample::select(&NUMBERS[..]),
        1 => -100_000i64..1_000_000,
        1 => Just(i64::MAX),
        1 => Just(i64::MIN),
    ]
}

fn small_count() -> impl Strategy<Value = i64> {
    prop_oneof![4 => 0i64..6, 1 => prop::sample::select(&NUMBERS[..])]
}

fn range() -> impl Strategy<Value = Range> {
    (prop::option::of(number()), prop::option::of(number()))
        .prop_map(|(min, max)| Range { min, max })
}

/// Facts with times left unresolved.
#[derive(Debug, Clone)]
struct Spec {
    facts: Facts,
    followed_at: Option<At>,
    last_interaction_at: Option<At>,
    last_order_at: Option<At>,
    purchases: Vec<(Option<String>, Option<String>, At)>,
}

impl Spec {
    fn at(&self, now: i64) -> Facts {
        let mut f = self.facts.clone();
        f.followed_at = self.followed_at.map(|a| a.resolve(now));
        f.last_interaction_at = self.last_interaction_at.map(|a| a.resolve(now));
        f.last_order_at = self.last_order_at.map(|a| a.resolve(now));
        f.purchases = self
            .purchases
            .iter()
            .map(|(sku, category, at)| Purchase {
                sku: sku.clone(),
                category: category.clone(),
                at: at.resolve(now),
            })
            .collect();
        f
    }
}

fn spec() -> impl Strategy<Value = Spec> {
    let who = (
        names(TAGS),
        opt_name(PROVINCES),
        opt_name(CITIES),
        opt_name(CHANNELS),
        opt_name(CHANNELS),
        any::<(bool, bool)>(),
        opt_name(LEVELS),
        names(KINDS),
        names(CONSENTS),
    );
    let what = (
        prop::option::weighted(0.8, at()),
        prop::option::weighted(0.8, at()),
        prop::option::weighted(0.7, at()),
        prop_oneof![4 => 0i64..6_000, 1 => number()],
        small_count(),
        prop_oneof![3 => prop::sample::select(&NUMBERS[..]), 1 => 0i64..600_000],
        prop::collection::vec((opt_name(SKUS), opt_name(CATEGORIES), at()), 0..4),
    );
    (who, what).prop_map(
        |(
            (tags, province, city, first, last, (following, ever), level, kinds, consents),
            (followed, interacted, ordered, points, orders, spend, purchases),
        )| Spec {
            facts: Facts {
                tags,
                province,
                city,
                first_channel: first,
                last_channel: last,
                following,
                ever_followed: ever,
                level,
                points,
                orders,
                spend_fen: spend,
                identity_kinds: kinds,
                consents,
                ..Facts::default()
            },
            followed_at: followed,
            last_interaction_at: interacted,
            last_order_at: ordered,
            purchases,
        },
    )
}

fn pred() -> impl Strategy<Value = Pred> {
    let touch = prop_oneof![Just(Touch::First), Just(Touch::Last), Just(Touch::Any)];
    let state = prop::sample::select(ActivityState::ALL.map(|(s, _)| s).to_vec());
    let cell = prop::sample::select(RfmCell::ALL.map(|c| c.0).to_vec());
    prop_oneof![
        1 => name(TAGS).prop_map(Pred::Tag),
        1 => (name(PROVINCES), prop::option::of(name(CITIES)))
            .prop_map(|(province, city)| Pred::Region { province, city }),
        1 => (name(CHANNELS), touch).prop_map(|(name, touch)| Pred::Channel { name, touch }),
        1 => Just(Pred::Following),
        2 => window().prop_map(Pred::Followed),
        2 => window().prop_map(Pred::Active),
        3 => state.prop_map(Pred::Activity),
        3 => cell.prop_map(Pred::Rfm),
        1 => name(LEVELS).prop_map(Pred::Level),
        1 => range().prop_map(Pred::Points),
        1 => range().prop_map(Pred::Orders),
        1 => range().prop_map(Pred::Spend),
        2 => (
            prop::option::of(name(SKUS)),
            prop::option::of(name(CATEGORIES)),
            prop::option::of(window())
        )
            .prop_map(|(sku, category, window)| Pred::Bought {
                sku,
                category,
                window
            }),
        1 => name(KINDS).prop_map(Pred::Has),
        1 => name(CONSENTS).prop_map(Pred::Consent),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    pred()
        .prop_map(Expr::Pred)
        .prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..=4).prop_map(Expr::And),
                prop::collection::vec(inner.clone(), 0..=4).prop_map(Expr::Or),
                inner.prop_map(|e| Expr::Not(Box::new(e))),
            ]
        })
}

#[derive(Debug, Clone)]
enum Op {
    Upsert(u16, Box<Spec>),
    Remove(u16),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    (1u16..300).prop_flat_map(|keys| {
        prop::collection::vec(
            prop_oneof![
                5 => (0..keys, spec()).prop_map(|(k, s)| Op::Upsert(k, Box::new(s))),
                1 => (0..keys).prop_map(Op::Remove),
            ],
            0..200,
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn index_agrees_with_the_reference(
        now in prop::sample::select(&NOWS[..]),
        ops in ops(),
        exprs in prop::collection::vec(expr(), 1..8),
    ) {
        let mut index: Index<u16> = Index::new();
        let mut model: HashMap<u16, Facts> = HashMap::new();
        for op in &ops {
            match op {
                Op::Upsert(k, spec) => {
                    let facts = spec.at(now);
                    index.upsert(*k, &facts);
                    model.insert(*k, facts);
                }
                Op::Remove(k) => {
                    prop_assert_eq!(index.remove(k), model.remove(k).is_some());
                }
            }
        }
        prop_assert_eq!(index.len(), model.len());
        for e in &exprs {
            let bits = index.evaluate(e, now).unwrap();
            let got: BTreeSet<u16> = index.keys(&bits).into_iter().collect();
            prop_assert_eq!(got.len() as u64, bits.len());
            let want: BTreeSet<u16> = model
                .iter()
                .filter(|(_, f)| matches(f, e, now).unwrap())
                .map(|(k, _)| *k)
                .collect();
            prop_assert_eq!(got, want, "{:?}", e);
        }
    }
}
