//! Round trips of the segment language: random well-formed expressions print and parse back to
//! themselves, and go to JSON and back unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use proptest::sample::select;
use siyu_domain::segment::{
    from_json, parse, to_json, ActivityState, Expr, Pred, Range, RfmCell, Touch, Window,
};

/// Characters names are drawn from: ASCII, Chinese, quotes, backslashes, slashes, spaces and
/// the odd control character.
const CHARS: &[char] = &[
    'a', 'Z', 'q', '0', '9', '-', '_', '.', '(', ')', ',', '"', '\\', '/', ' ', '\n', '\t', '咖',
    '啡', '控', '金', '卡', '安', '徽', '“', '”', '（', '）', '，',
];

fn non_space() -> impl Strategy<Value = char> {
    select(
        CHARS
            .iter()
            .copied()
            .filter(|c| !c.is_whitespace())
            .collect::<Vec<_>>(),
    )
}

/// A non-blank name, possibly with surrounding whitespace.
fn name() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(select(CHARS), 0..3),
        non_space(),
        prop::collection::vec(select(CHARS), 0..6),
    )
        .prop_map(|(a, c, b)| a.into_iter().chain([c]).chain(b).collect())
}

/// A name with no surrounding whitespace (as region parts are kept).
fn trimmed() -> impl Strategy<Value = String> {
    name().prop_map(|s| s.trim().to_string())
}

fn window() -> impl Strategy<Value = Window> {
    prop_oneof![
        1..=200i64,
        (1..=400i64).prop_map(|d| d * 24),
        (1..=50i64).prop_map(|w| w * 168),
        1..=i64::MAX,
    ]
    .prop_map(|hours| Window { hours })
}

fn range(lo: i64) -> impl Strategy<Value = Range> {
    let n = prop_oneof![
        lo.max(-1000)..=1000i64,
        lo..=i64::MAX,
        Just(lo),
        Just(i64::MAX),
        Just(0i64),
    ];
    (0..4u8, n.clone(), n).prop_map(|(shape, a, b)| {
        let (a, b) = (a.min(b), a.max(b));
        match shape {
            0 => Range {
                min: Some(a),
                max: None,
            },
            1 => Range {
                min: None,
                max: Some(b),
            },
            2 => Range {
                min: Some(a),
                max: Some(a),
            },
            _ => Range {
                min: Some(a),
                max: Some(b),
            },
        }
    })
}

fn pred() -> impl Strategy<Value = Pred> {
    let kinds = [
        "unionid",
        "openid",
        "phone",
        "email",
        "taobao",
        "jd",
        "weibo",
        "member_card",
        "external",
    ];
    prop_oneof![
        name().prop_map(Pred::Tag),
        (
            prop::collection::vec(non_space().prop_filter("no slash", |c| *c != '/'), 1..5),
            prop::option::of(trimmed()),
        )
            .prop_map(|(p, city)| Pred::Region {
                province: p.into_iter().collect(),
                city,
            }),
        (name(), select(vec![Touch::First, Touch::Last, Touch::Any]))
            .prop_map(|(name, touch)| Pred::Channel { name, touch }),
        Just(Pred::Following),
        window().prop_map(Pred::Followed),
        window().prop_map(Pred::Active),
        select(ActivityState::ALL.map(|(s, _)| s).to_vec()).prop_map(Pred::Activity),
        select(RfmCell::ALL.map(|c| c.0).to_vec()).prop_map(Pred::Rfm),
        name().prop_map(Pred::Level),
        range(i64::MIN).prop_map(Pred::Points),
        (
            prop::option::of(name()),
            prop::option::of(name()),
            prop::option::of(window()),
        )
            .prop_map(|(sku, category, window)| Pred::Bought {
                sku,
                category,
                window,
            }),
        range(0).prop_map(Pred::Orders),
        range(0).prop_map(Pred::Spend),
        select(kinds.to_vec()).prop_map(|k| Pred::Has(k.into())),
        select(vec!["marketing", "sms", "profiling"]).prop_map(|k| Pred::Consent(k.into())),
        name().prop_map(Pred::Segment),
    ]
}

/// Joins operands the way a well-formed tree has them: no group directly inside one of its kind.
fn group(items: Vec<Expr>, and: bool) -> Expr {
    let mut out = Vec::new();
    for e in items {
        match e {
            Expr::And(v) if and => out.extend(v),
            Expr::Or(v) if !and => out.extend(v),
            e => out.push(e),
        }
    }
    if and {
        Expr::And(out)
    } else {
        Expr::Or(out)
    }
}

fn expr() -> impl Strategy<Value = Expr> {
    pred()
        .prop_map(Expr::Pred)
        .prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(|v| group(v, true)),
                prop::collection::vec(inner.clone(), 2..4).prop_map(|v| group(v, false)),
                inner.prop_map(|e| Expr::Not(Box::new(e))),
            ]
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(768))]

    #[test]
    fn text_round_trip(e in expr()) {
        let text = e.to_string();
        prop_assert_eq!(parse(&text), Ok(e), "{}", text);
    }

    #[test]
    fn json_round_trip(e in expr()) {
        let j = to_json(&e);
        prop_assert_eq!(from_json(&j), Ok(e.clone()), "{}", j);
        // And through a serialised string, as stored.
        let back: serde_json::Value = serde_json::from_str(&j.to_string()).unwrap();
        prop_assert_eq!(from_json(&back), Ok(e));
    }
}

/// Token-ish soup: mostly fragments of the language, so a fair share of it parses.
fn soup() -> impl Strategy<Value = String> {
    let pieces = select(vec![
        "tag(\"a\")",
        "tag(",
        "\"",
        "\\",
        "“",
        "”",
        "(",
        ")",
        "（",
        ",",
        " ",
        "and ",
        " or ",
        "not ",
        "!",
        "&&",
        "||",
        "region(\"安徽/合肥\")",
        "within 7d",
        "within",
        "30",
        "-1",
        "..",
        ">=",
        ">",
        "<",
        "=",
        "1.5",
        "points(",
        "orders(",
        "spend(",
        "bought(",
        "sku ",
        "following",
        "active(",
        "activity(",
        "lost",
        "has(",
        "jd",
        "x",
        "咖啡",
        "\n",
        ".",
    ]);
    prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Whatever parses is well-formed: it prints and parses back, and survives JSON. Nothing
    /// panics, and error positions stay within the input.
    #[test]
    fn anything_parsed_round_trips(text in soup()) {
        match parse(&text) {
            Ok(e) => {
                prop_assert_eq!(parse(&e.to_string()), Ok(e.clone()), "{}", text);
                prop_assert_eq!(from_json(&to_json(&e)), Ok(e));
            }
            Err(err) => prop_assert!(err.position <= text.chars().count(), "{}: {}", text, err),
        }
    }
}

#[test]
fn doc_example() {
    let text =
        "tag(\"咖啡控\") and region(\"安徽/合肥\") and bought(sku \"LATTE-L\", within 30d)\n    \
                and active(within 7d) and not channel(\"poster-2\")";
    let e = parse(text).unwrap();
    assert_eq!(
        e.to_string(),
        "tag(\"咖啡控\") and region(\"安徽/合肥\") and bought(sku \"LATTE-L\", within 30d) \
         and active(within 7d) and not channel(\"poster-2\")"
    );
    assert_eq!(e.preds().len(), 5);
    assert_eq!(from_json(&to_json(&e)), Ok(e));
}
