//! The JSON form of a segment: one single-key object per node (shape on [`to_json`]).

use serde_json::{json, Map, Value};

use super::parse::{
    activity_state, consent_purpose, expect_activity, expect_kind, expect_purpose, expect_rfm,
    flatten, identity_kind, name_ok, one_of, rfm_cell, split_region, touch, window_from_text,
    ParseError, EXPECT_NAME, EXPECT_REGION, EXPECT_TOUCH, PRED_NAMES,
};
use super::print::window_text;
use super::{Expr, Pred, Range, Touch, Window};

/// What every node is, for error messages.
const EXPECT_NODE: &str = "an object with one key such as {\"tag\":\"…\"}";

/// The JSON form of a segment: one single-key object per node.
///
/// ```json
/// {"and": [
///   {"tag": "咖啡控"},
///   {"region": "安徽/合肥"},
///   {"bought": {"sku": "LATTE-L", "within": "30d"}},
///   {"not": {"channel": {"name": "poster-2", "touch": "last"}}}
/// ]}
/// ```
///
/// Nodes: `{"and":[…]}`, `{"or":[…]}`, `{"not":{…}}`, `{"tag":"…"}`, `{"region":"安徽/合肥"}`,
/// `{"channel":"…"}` or `{"channel":{"name":"…","touch":"first|last|any"}}`,
/// `{"following":true}`, `{"followed":{"within":"30d"}}`, `{"active":{"within":"7d"}}`,
/// `{"activity":"dormant"}`, `{"rfm":"important_value"}`, `{"level":"…"}`,
/// `{"points":{"min":100,"max":200}}`, `{"orders":{"min":2}}`,
/// `{"spend":{"min_fen":10000,"max_fen":20000}}` (range bounds optional, at least one),
/// `{"bought":{"sku":"…","category":"…","within":"30d"}}` (all optional), `{"has":"taobao"}`,
/// `{"consent":"marketing"}`, `{"segment":"…"}`.
///
/// [`from_json`] reads it back.
pub fn to_json(e: &Expr) -> Value {
    match e {
        Expr::And(v) => json!({ "and": v.iter().map(to_json).collect::<Vec<_>>() }),
        Expr::Or(v) => json!({ "or": v.iter().map(to_json).collect::<Vec<_>>() }),
        Expr::Not(e) => json!({ "not": to_json(e) }),
        Expr::Pred(p) => pred_to_json(p),
    }
}

fn range_json(r: Range, min: &str, max: &str) -> Value {
    let mut m = Map::new();
    if let Some(v) = r.min {
        m.insert(min.into(), v.into());
    }
    if let Some(v) = r.max {
        m.insert(max.into(), v.into());
    }
    Value::Object(m)
}

fn pred_to_json(p: &Pred) -> Value {
    match p {
        Pred::Tag(s) => json!({ "tag": s }),
        Pred::Region { province, city } => match city {
            Some(c) => json!({ "region": format!("{province}/{c}") }),
            None => json!({ "region": province }),
        },
        Pred::Channel { name, touch } => match touch {
            Touch::First => json!({ "channel": name }),
            Touch::Last => json!({ "channel": { "name": name, "touch": "last" } }),
            Touch::Any => json!({ "channel": { "name": name, "touch": "any" } }),
        },
        Pred::Following => json!({ "following": true }),
        Pred::Followed(w) => json!({ "followed": { "within": window_text(*w) } }),
        Pred::Active(w) => json!({ "active": { "within": window_text(*w) } }),
        Pred::Activity(s) => json!({ "activity": s.name() }),
        Pred::Rfm(c) => json!({ "rfm": c.name() }),
        Pred::Level(s) => json!({ "level": s }),
        Pred::Points(r) => json!({ "points": range_json(*r, "min", "max") }),
        Pred::Orders(r) => json!({ "orders": range_json(*r, "min", "max") }),
        Pred::Spend(r) => json!({ "spend": range_json(*r, "min_fen", "max_fen") }),
        Pred::Bought {
            sku,
            category,
            window,
        } => {
            let mut m = Map::new();
            if let Some(s) = sku {
                m.insert("sku".into(), s.as_str().into());
            }
            if let Some(c) = category {
                m.insert("category".into(), c.as_str().into());
            }
            if let Some(w) = window {
                m.insert("within".into(), window_text(*w).into());
            }
            json!({ "bought": m })
        }
        Pred::Has(s) => json!({ "has": s }),
        Pred::Consent(s) => json!({ "consent": s }),
        Pred::Segment(s) => json!({ "segment": s }),
    }
}

/// Reads the JSON form of a segment.
///
/// `and`/`or` arrays are flattened as in the text form, and an array of one is just its
/// element, so `from_json(&to_json(&e)) == Ok(e)` for every well-formed [`Expr`].
///
/// # Errors
///
/// A [`ParseError`] with `position` 0 whose `expected` ends with the JSON path of the offending
/// value (such as `at $.and[1]`) and whose `found` shows that value.
pub fn from_json(v: &Value) -> Result<Expr, ParseError> {
    expr(v, "$")
}

/// A short rendering of a JSON value for `found`.
fn describe(v: &Value) -> String {
    const MAX: usize = 40;
    let s = v.to_string();
    if s.chars().count() > MAX {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    } else {
        s
    }
}

fn err(path: &str, what: impl std::fmt::Display, found: impl Into<String>) -> ParseError {
    ParseError::new(0, format!("{what} at {path}"), found)
}

fn expr(v: &Value, path: &str) -> Result<Expr, ParseError> {
    let Some((key, val)) = v
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.iter().next())
    else {
        return Err(err(path, EXPECT_NODE, describe(v)));
    };
    let sub = format!("{path}.{key}");
    match key.as_str() {
        "and" | "or" => {
            let items = val
                .as_array()
                .filter(|a| !a.is_empty())
                .ok_or_else(|| err(&sub, "a non-empty array of expressions", describe(val)))?;
            let items = items
                .iter()
                .enumerate()
                .map(|(i, e)| expr(e, &format!("{sub}[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(flatten(items, key == "and"))
        }
        "not" => Ok(Expr::Not(Box::new(expr(val, &sub)?))),
        _ => pred(key, val, path, &sub).map(Expr::Pred),
    }
}

/// The string at `path`.
fn string<'a>(v: &'a Value, path: &str, what: &str) -> Result<&'a str, ParseError> {
    v.as_str().ok_or_else(|| err(path, what, describe(v)))
}

/// A non-blank name at `path`.
fn name(v: &Value, path: &str) -> Result<String, ParseError> {
    let s = string(v, path, "a string")?;
    if name_ok(s) {
        Ok(s.to_string())
    } else {
        Err(err(path, EXPECT_NAME, describe(v)))
    }
}

/// The object at `path`, with no keys but `allowed`.
fn object<'a>(
    v: &'a Value,
    path: &str,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, ParseError> {
    let what = || format!("an object with only the keys {}", allowed.join(", "));
    let m = v
        .as_object()
        .ok_or_else(|| err(path, what(), describe(v)))?;
    if let Some(k) = m.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(err(
            path,
            what(),
            format!("unknown key {}", Value::from(k.as_str())),
        ));
    }
    Ok(m)
}

fn window(v: &Value, path: &str) -> Result<Window, ParseError> {
    let what = "a window such as \"7d\"";
    let s = string(v, path, what)?;
    window_from_text(s).ok_or_else(|| err(path, what, describe(v)))
}

fn window_object(v: &Value, path: &str) -> Result<Window, ParseError> {
    let m = object(v, path, &["within"])?;
    match m.get("within") {
        Some(w) => window(w, &format!("{path}.within")),
        None => Err(err(
            path,
            "an object such as {\"within\":\"7d\"}",
            describe(v),
        )),
    }
}

/// A range object with bound keys `min` and `max`; `non_negative` refuses bounds below 0.
fn range(
    v: &Value,
    path: &str,
    (min, max): (&str, &str),
    non_negative: bool,
) -> Result<Range, ParseError> {
    let m = object(v, path, &[min, max])?;
    let bound = |k: &str| -> Result<Option<i64>, ParseError> {
        let Some(b) = m.get(k) else { return Ok(None) };
        let what = if non_negative {
            "a whole number, 0 or more"
        } else {
            "a whole number"
        };
        b.as_i64()
            .filter(|n| !non_negative || *n >= 0)
            .map(Some)
            .ok_or_else(|| err(&format!("{path}.{k}"), what, describe(b)))
    };
    let r = Range {
        min: bound(min)?,
        max: bound(max)?,
    };
    match (r.min, r.max) {
        (None, None) => Err(err(
            path,
            format!("an object with {min}, {max} or both"),
            describe(v),
        )),
        (Some(a), Some(b)) if a > b => {
            Err(err(path, format!("{min} not above {max}"), describe(v)))
        }
        _ => Ok(r),
    }
}

/// An enumerated value: a string that `read` accepts.
fn named<T>(
    v: &Value,
    path: &str,
    expected: &str,
    read: impl Fn(&str) -> Option<T>,
) -> Result<T, ParseError> {
    v.as_str()
        .and_then(read)
        .ok_or_else(|| err(path, expected, describe(v)))
}

fn pred(key: &str, v: &Value, node: &str, path: &str) -> Result<Pred, ParseError> {
    Ok(match key {
        "tag" => Pred::Tag(name(v, path)?),
        "level" => Pred::Level(name(v, path)?),
        "segment" => Pred::Segment(name(v, path)?),
        "region" => {
            let (province, city) = named(v, path, EXPECT_REGION, split_region)?;
            Pred::Region { province, city }
        }
        "channel" => match v {
            Value::String(_) => Pred::Channel {
                name: name(v, path)?,
                touch: Touch::First,
            },
            _ => {
                let m = object(v, path, &["name", "touch"])?;
                let name = match m.get("name") {
                    Some(n) => name(n, &format!("{path}.name"))?,
                    None => {
                        return Err(err(
                            path,
                            "a string or an object such as {\"name\":\"…\",\"touch\":\"last\"}",
                            describe(v),
                        ))
                    }
                };
                let touch = match m.get("touch") {
                    Some(t) => named(t, &format!("{path}.touch"), EXPECT_TOUCH, touch)?,
                    None => Touch::First,
                };
                Pred::Channel { name, touch }
            }
        },
        "following" => match v {
            Value::Bool(true) => Pred::Following,
            _ => return Err(err(path, "true", describe(v))),
        },
        "followed" => Pred::Followed(window_object(v, path)?),
        "active" => Pred::Active(window_object(v, path)?),
        "activity" => Pred::Activity(named(v, path, &expect_activity(), activity_state)?),
        "rfm" => Pred::Rfm(named(v, path, &expect_rfm(), rfm_cell)?),
        "has" => Pred::Has(named(v, path, &expect_kind(), identity_kind)?),
        "consent" => Pred::Consent(named(v, path, &expect_purpose(), consent_purpose)?),
        "points" => Pred::Points(range(v, path, ("min", "max"), false)?),
        "orders" => Pred::Orders(range(v, path, ("min", "max"), true)?),
        "spend" => Pred::Spend(range(v, path, ("min_fen", "max_fen"), true)?),
        "bought" => {
            let m = object(v, path, &["sku", "category", "within"])?;
            Pred::Bought {
                sku: m
                    .get("sku")
                    .map(|s| name(s, &format!("{path}.sku")))
                    .transpose()?,
                category: m
                    .get("category")
                    .map(|s| name(s, &format!("{path}.category")))
                    .transpose()?,
                window: m
                    .get("within")
                    .map(|w| window(w, &format!("{path}.within")))
                    .transpose()?,
            }
        }
        _ => {
            return Err(err(
                node,
                format!(
                    "a key: and, or, not or a predicate ({})",
                    one_of(&PRED_NAMES)
                ),
                format!("unknown key {}", Value::from(key)),
            ))
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::{parse, ActivityState};
    use super::*;

    fn rt(text: &str, j: Value) {
        let e = parse(text).unwrap();
        assert_eq!(to_json(&e), j, "{text}");
        assert_eq!(from_json(&j), Ok(e), "{text}");
    }

    #[test]
    fn shapes() {
        rt("tag(\"咖啡控\")", json!({"tag": "咖啡控"}));
        rt("region(\"安徽/合肥\")", json!({"region": "安徽/合肥"}));
        rt("region(\"安徽\")", json!({"region": "安徽"}));
        rt("channel(\"poster-2\")", json!({"channel": "poster-2"}));
        rt(
            "channel(\"poster-2\", last)",
            json!({"channel": {"name": "poster-2", "touch": "last"}}),
        );
        rt("following", json!({"following": true}));
        rt(
            "followed(within 30d)",
            json!({"followed": {"within": "30d"}}),
        );
        rt("active(within 5h)", json!({"active": {"within": "5h"}}));
        rt("activity(dormant)", json!({"activity": "dormant"}));
        rt("rfm(important_value)", json!({"rfm": "important_value"}));
        rt("level(\"金卡\")", json!({"level": "金卡"}));
        rt(
            "points(100..200)",
            json!({"points": {"min": 100, "max": 200}}),
        );
        rt("orders(>= 2)", json!({"orders": {"min": 2}}));
        rt("spend(<= 100)", json!({"spend": {"max_fen": 10000}}));
        rt(
            "bought(sku \"X\", category \"咖啡\", within 30d)",
            json!({"bought": {"sku": "X", "category": "咖啡", "within": "30d"}}),
        );
        rt("bought()", json!({"bought": {}}));
        rt("has(taobao)", json!({"has": "taobao"}));
        rt("consent(marketing)", json!({"consent": "marketing"}));
        rt("segment(\"高价值\")", json!({"segment": "高价值"}));
        rt(
            "tag(\"a\") and (tag(\"b\") or not tag(\"c\"))",
            json!({"and": [{"tag": "a"}, {"or": [{"tag": "b"}, {"not": {"tag": "c"}}]}]}),
        );
    }

    #[test]
    fn lenient_forms() {
        assert_eq!(
            from_json(&json!({"channel": {"name": "p"}})),
            parse("channel(\"p\")")
        );
        assert_eq!(
            from_json(&json!({"and": [{"and": [{"tag": "a"}, {"tag": "b"}]}, {"tag": "c"}]})),
            parse("tag(\"a\") and tag(\"b\") and tag(\"c\")")
        );
        assert_eq!(
            from_json(&json!({"or": [{"tag": "a"}]})),
            parse("tag(\"a\")")
        );
        assert_eq!(
            from_json(&json!({"activity": "DORMANT"})),
            Ok(Expr::Pred(Pred::Activity(ActivityState::Dormant)))
        );
    }

    #[test]
    fn errors() {
        let e = from_json(&json!({"and": [{"tag": "a"}, []]})).unwrap_err();
        assert_eq!(e.position, 0);
        assert_eq!(e.expected, format!("{EXPECT_NODE} at $.and[1]"));
        assert_eq!(e.found, "[]");
        assert_eq!(
            e.to_string(),
            "at 0: expected an object with one key such as {\"tag\":\"…\"} at $.and[1], found []"
        );

        let e = from_json(&json!({"tags": "a"})).unwrap_err();
        assert!(e.expected.ends_with("at $"), "{e}");
        assert_eq!(e.found, "unknown key \"tags\"");

        let e = from_json(&json!({"not": {"points": {"min": 5, "max": 2}}})).unwrap_err();
        assert!(e.expected.ends_with("at $.not.points"), "{e}");

        let e = from_json(&json!({"orders": {"min": -1}})).unwrap_err();
        assert!(e.expected.ends_with("at $.orders.min"), "{e}");

        let e = from_json(&json!({"spend": {"min": 1}})).unwrap_err();
        assert_eq!(e.found, "unknown key \"min\"");

        let e = from_json(&json!({"points": {}})).unwrap_err();
        assert!(
            e.expected.starts_with("an object with min, max or both"),
            "{e}"
        );

        let e = from_json(&json!({"region": "/合肥"})).unwrap_err();
        assert!(e.expected.ends_with("at $.region"), "{e}");

        let e = from_json(&json!({"tag": ""})).unwrap_err();
        assert_eq!(e.expected, format!("{EXPECT_NAME} at $.tag"));

        let e = from_json(&json!({"followed": {"within": "0d"}})).unwrap_err();
        assert!(e.expected.ends_with("at $.followed.within"), "{e}");

        let e = from_json(&json!({"has": "qq"})).unwrap_err();
        assert!(e.expected.contains("taobao"), "{e}");

        let e = from_json(&json!({"following": false})).unwrap_err();
        assert!(e.expected.starts_with("true"), "{e}");

        let e = from_json(&json!({"tag": "a", "level": "b"})).unwrap_err();
        assert_eq!(e.expected, format!("{EXPECT_NODE} at $"));

        let e = from_json(&json!({"or": []})).unwrap_err();
        assert!(e.expected.ends_with("at $.or"), "{e}");

        let e = from_json(&json!({"bought": {"sku": "a", "colour": "red"}})).unwrap_err();
        assert!(e.expected.ends_with("at $.bought"), "{e}");

        let e = from_json(&json!({"points": {"min": 1.5}})).unwrap_err();
        assert!(e.expected.ends_with("at $.points.min"), "{e}");
    }
}
