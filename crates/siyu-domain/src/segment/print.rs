//! The canonical text form: what [`Expr`] and [`Pred`] display as.
//!
//! Parentheses are added only where needed (an `or` inside an `and`, an `and` or `or` inside a
//! `not`); names are double-quoted with `\"`, `\\`, `\n`, `\r` and `\t` escaped; windows use the
//! largest exact unit of days or hours (`7d`, `36h`); spend is printed in yuan (`99.5`).

use std::fmt::{self, Display, Formatter, Write};

use super::{Expr, Pred, Range, Touch, Window};

/// A name as a double-quoted string literal of the text form.
pub(super) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A window's length as written after `within`: `7d`, or `36h` when not whole days.
pub(super) fn window_text(w: Window) -> String {
    if w.hours % 24 == 0 {
        format!("{}d", w.hours / 24)
    } else {
        format!("{}h", w.hours)
    }
}

/// Fen as yuan: `99`, `99.5`, `99.05`.
pub(super) fn yuan_text(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let (yuan, cents) = (abs / 100, abs % 100);
    match cents {
        0 => format!("{sign}{yuan}"),
        c if c % 10 == 0 => format!("{sign}{yuan}.{}", c / 10),
        c => format!("{sign}{yuan}.{c:02}"),
    }
}

/// A range as `>= a`, `<= b`, `= a` or `a..b`, each number written by `num`.
fn range_text(r: Range, num: impl Fn(i64) -> String) -> String {
    match (r.min, r.max) {
        (Some(a), Some(b)) if a == b => format!("= {}", num(a)),
        (Some(a), Some(b)) => format!("{}..{}", num(a), num(b)),
        (Some(a), None) => format!(">= {}", num(a)),
        (None, Some(b)) => format!("<= {}", num(b)),
        (None, None) => String::new(),
    }
}

impl Display for Pred {
    /// The predicate in the canonical text form, such as `tag("咖啡控")` or `points(>= 100)`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Pred::Tag(s) => write!(f, "tag({})", quote(s)),
            Pred::Region { province, city } => match city {
                Some(c) => write!(f, "region({})", quote(&format!("{province}/{c}"))),
                None => write!(f, "region({})", quote(province)),
            },
            Pred::Channel { name, touch } => match touch {
                Touch::First => write!(f, "channel({})", quote(name)),
                Touch::Last => write!(f, "channel({}, last)", quote(name)),
                Touch::Any => write!(f, "channel({}, any)", quote(name)),
            },
            Pred::Following => f.write_str("following()"),
            Pred::Followed(w) => write!(f, "followed(within {})", window_text(*w)),
            Pred::Active(w) => write!(f, "active(within {})", window_text(*w)),
            Pred::Activity(s) => write!(f, "activity({})", s.name()),
            Pred::Rfm(c) => write!(f, "rfm({})", c.name()),
            Pred::Level(s) => write!(f, "level({})", quote(s)),
            Pred::Points(r) => write!(f, "points({})", range_text(*r, |v| v.to_string())),
            Pred::Orders(r) => write!(f, "orders({})", range_text(*r, |v| v.to_string())),
            Pred::Spend(r) => write!(f, "spend({})", range_text(*r, yuan_text)),
            Pred::Bought {
                sku,
                category,
                window,
            } => {
                let mut parts = Vec::new();
                if let Some(s) = sku {
                    parts.push(format!("sku {}", quote(s)));
                }
                if let Some(c) = category {
                    parts.push(format!("category {}", quote(c)));
                }
                if let Some(w) = window {
                    parts.push(format!("within {}", window_text(*w)));
                }
                write!(f, "bought({})", parts.join(", "))
            }
            Pred::Has(s) => write!(f, "has({s})"),
            Pred::Consent(s) => write!(f, "consent({s})"),
            Pred::Segment(s) => write!(f, "segment({})", quote(s)),
        }
    }
}

/// Writes `e`, in parentheses when `paren` says it needs them.
fn child(f: &mut Formatter<'_>, e: &Expr, paren: bool) -> fmt::Result {
    if paren {
        f.write_char('(')?;
        Display::fmt(e, f)?;
        f.write_char(')')
    } else {
        Display::fmt(e, f)
    }
}

impl Display for Expr {
    /// The expression in the canonical text form, with as few parentheses as the precedence
    /// (`not` over `and` over `or`) allows; `parse` reads it back to an equal [`Expr`].
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And(v) | Expr::Or(v) => {
                let and = matches!(self, Expr::And(_));
                for (i, e) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(if and { " and " } else { " or " })?;
                    }
                    // A nested group of the same kind is not well-formed; parenthesising it
                    // at least keeps the printed text faithful.
                    let paren = match e {
                        Expr::Or(_) => true,
                        Expr::And(_) => and,
                        _ => false,
                    };
                    child(f, e, paren)?;
                }
                Ok(())
            }
            Expr::Not(e) => {
                f.write_str("not ")?;
                child(f, e, matches!(**e, Expr::And(_) | Expr::Or(_)))
            }
            Expr::Pred(p) => Display::fmt(p, f),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::{parse, ActivityState, RfmCell};
    use super::*;

    fn tag(s: &str) -> Expr {
        Expr::Pred(Pred::Tag(s.into()))
    }

    #[test]
    fn predicates() {
        let cases: Vec<(Pred, &str)> = vec![
            (Pred::Tag("a\"b\\c".into()), r#"tag("a\"b\\c")"#),
            (
                Pred::Region {
                    province: "安徽".into(),
                    city: Some("合肥".into()),
                },
                r#"region("安徽/合肥")"#,
            ),
            (
                Pred::Region {
                    province: "安徽".into(),
                    city: None,
                },
                r#"region("安徽")"#,
            ),
            (
                Pred::Channel {
                    name: "p".into(),
                    touch: Touch::First,
                },
                r#"channel("p")"#,
            ),
            (
                Pred::Channel {
                    name: "p".into(),
                    touch: Touch::Last,
                },
                r#"channel("p", last)"#,
            ),
            (Pred::Following, "following()"),
            (
                Pred::Followed(Window { hours: 720 }),
                "followed(within 30d)",
            ),
            (Pred::Active(Window { hours: 36 }), "active(within 36h)"),
            (
                Pred::Activity(ActivityState::NotAFan),
                "activity(not_a_fan)",
            ),
            (Pred::Rfm(RfmCell::GeneralKeep), "rfm(general_keep)"),
            (Pred::Level("金卡".into()), r#"level("金卡")"#),
            (
                Pred::Points(Range {
                    min: Some(-5),
                    max: None,
                }),
                "points(>= -5)",
            ),
            (
                Pred::Orders(Range {
                    min: Some(2),
                    max: Some(5),
                }),
                "orders(2..5)",
            ),
            (
                Pred::Orders(Range {
                    min: Some(3),
                    max: Some(3),
                }),
                "orders(= 3)",
            ),
            (
                Pred::Spend(Range {
                    min: None,
                    max: Some(9950),
                }),
                "spend(<= 99.5)",
            ),
            (
                Pred::Bought {
                    sku: Some("LATTE-L".into()),
                    category: None,
                    window: Some(Window { hours: 720 }),
                },
                r#"bought(sku "LATTE-L", within 30d)"#,
            ),
            (
                Pred::Bought {
                    sku: None,
                    category: None,
                    window: None,
                },
                "bought()",
            ),
            (Pred::Has("taobao".into()), "has(taobao)"),
            (Pred::Consent("sms".into()), "consent(sms)"),
            (Pred::Segment("高价值".into()), r#"segment("高价值")"#),
        ];
        for (p, text) in cases {
            assert_eq!(p.to_string(), text);
            assert_eq!(parse(text), Ok(Expr::Pred(p)));
        }
    }

    #[test]
    fn parentheses() {
        let (a, b, c) = (tag("a"), tag("b"), tag("c"));
        let e = Expr::And(vec![
            Expr::Or(vec![a.clone(), b.clone()]),
            Expr::Not(Box::new(Expr::And(vec![b.clone(), c.clone()]))),
            Expr::Not(Box::new(c.clone())),
        ]);
        let text = r#"(tag("a") or tag("b")) and not (tag("b") and tag("c")) and not tag("c")"#;
        assert_eq!(e.to_string(), text);
        assert_eq!(parse(text), Ok(e));
        let e = Expr::Or(vec![Expr::And(vec![a.clone(), b.clone()]), c.clone()]);
        assert_eq!(e.to_string(), r#"tag("a") and tag("b") or tag("c")"#);
        assert_eq!(parse(&e.to_string()), Ok(e));
    }

    #[test]
    fn numbers() {
        assert_eq!(yuan_text(9950), "99.5");
        assert_eq!(yuan_text(9905), "99.05");
        assert_eq!(yuan_text(10000), "100");
        assert_eq!(yuan_text(5), "0.05");
        assert_eq!(yuan_text(i64::MAX), "92233720368547758.07");
        assert_eq!(window_text(Window { hours: 168 }), "7d");
        assert_eq!(window_text(Window { hours: 25 }), "25h");
    }
}
