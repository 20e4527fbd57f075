//! From what a merchant typed to what the index evaluates: parse, inline saved segments (no
//! cycles), turn channel names into their QR scenes, and report names nobody has.

use serde_json::Value;
use siyu_audience::Index;
use siyu_domain::segment::{self, Expr, Pred};
use siyu_domain::TenantId;

use crate::error::ApiError;
use crate::state::AppState;

/// Nesting of saved segments allowed.
const MAX_DEPTH: usize = 8;

fn syntax(e: &segment::ParseError) -> ApiError {
    ApiError::Segment {
        code: "segment_syntax",
        message: format!("the segment does not parse: {e}"),
        position: Some(e.position),
    }
}

/// Parses a query given as text or as a JSON tree.
pub fn parse(query: &Value) -> Result<Expr, ApiError> {
    match query {
        Value::String(s) => segment::parse(s).map_err(|e| syntax(&e)),
        Value::Object(_) => segment::from_json(query).map_err(|e| syntax(&e)),
        _ => Err(ApiError::Segment {
            code: "segment_syntax",
            message: "query must be the segment's text, e.g. tag(\"咖啡控\") and active(within 7d), or its JSON tree".into(),
            position: Some(0),
        }),
    }
}

/// Normalises a province or city name: `安徽省` and `安徽` are the same place.
pub fn region_name(s: &str) -> String {
    let s = s.trim();
    for suffix in [
        "壮族自治区",
        "回族自治区",
        "维吾尔自治区",
        "自治区",
        "特别行政区",
        "省",
        "市",
    ] {
        if let Some(rest) = s.strip_suffix(suffix) {
            if !rest.is_empty() {
                return rest.to_owned();
            }
        }
    }
    s.to_owned()
}

/// Inlines saved segments and maps channels to scenes; `stack` holds the saved segments being
/// expanded (by name), to refuse cycles.
///
/// A channel no one has created is noted in `unknown` and matches nobody.
pub async fn expand(
    state: &AppState,
    tenant: &TenantId,
    expr: &Expr,
    stack: &mut Vec<String>,
    unknown: &mut Vec<String>,
) -> Result<Expr, ApiError> {
    let saved = siyu_store::pushes::segments(&state.store, tenant).await?;
    let channels = siyu_store::channels::list(&state.store, tenant).await?;
    let mut ctx = Ctx {
        saved: &saved,
        channels: &channels,
        unknown,
    };
    expand_with(expr, stack, &mut ctx)
}

struct Ctx<'a> {
    saved: &'a [siyu_store::pushes::Segment],
    channels: &'a [siyu_store::channels::Channel],
    unknown: &'a mut Vec<String>,
}

fn expand_with(expr: &Expr, stack: &mut Vec<String>, cx: &mut Ctx<'_>) -> Result<Expr, ApiError> {
    Ok(match expr {
        Expr::And(v) => Expr::And(
            v.iter()
                .map(|e| expand_with(e, stack, cx))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or(v) => Expr::Or(
            v.iter()
                .map(|e| expand_with(e, stack, cx))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Not(e) => Expr::Not(Box::new(expand_with(e, stack, cx)?)),
        Expr::Pred(Pred::Segment(name)) => {
            let Some(s) = cx.saved.iter().find(|s| &s.name == name || &s.id == name) else {
                return Err(unknown(format!("no saved segment is called \"{name}\"")));
            };
            if stack.contains(&s.name) || stack.len() >= MAX_DEPTH {
                stack.push(s.name.clone());
                return Err(ApiError::Segment {
                    code: "segment_cycle",
                    message: format!(
                        "segments may not refer to themselves: {}",
                        stack.join(" → ")
                    ),
                    position: None,
                });
            }
            let inner = segment::parse(&s.query).map_err(|e| syntax(&e))?;
            stack.push(s.name.clone());
            let out = expand_with(&inner, stack, cx)?;
            stack.pop();
            out
        }
        Expr::Pred(Pred::Channel { name, touch }) => {
            match cx
                .channels
                .iter()
                .find(|c| &c.name == name || &c.id == name)
            {
                Some(c) => Expr::Pred(Pred::Channel {
                    name: c.scene.clone(),
                    touch: *touch,
                }),
                None => {
                    cx.unknown.push(format!("channel \"{name}\""));
                    // No scene looks like this, so it matches nobody.
                    Expr::Pred(Pred::Channel {
                        name: format!("\u{0}unknown:{name}"),
                        touch: *touch,
                    })
                }
            }
        }
        Expr::Pred(Pred::Region { province, city }) => Expr::Pred(Pred::Region {
            province: region_name(province),
            city: city.as_deref().map(region_name),
        }),
        Expr::Pred(p) => Expr::Pred(p.clone()),
    })
}

fn unknown(message: String) -> ApiError {
    ApiError::Segment {
        code: "segment_unknown_name",
        message,
        position: None,
    }
}

/// Names in `expr` that no profile has: tags, levels, products and categories.
pub fn unknown_names(index: &Index<String>, expr: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    for p in expr.preds() {
        match p {
            Pred::Tag(t) if !index.knows_tag(t) => out.push(format!("tag \"{t}\"")),
            Pred::Level(l) if !index.knows_level(l) => out.push(format!("level \"{l}\"")),
            Pred::Bought { sku, category, .. } => {
                if let Some(s) = sku.as_ref().filter(|s| !index.knows_sku(s)) {
                    out.push(format!("product \"{s}\""));
                }
                if let Some(c) = category.as_ref().filter(|c| !index.knows_category(c)) {
                    out.push(format!("category \"{c}\""));
                }
            }
            _ => {}
        }
    }
    out.dedup();
    out
}
