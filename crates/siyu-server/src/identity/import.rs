//! Records from other channels' exports (Taobao and JD orders, Weibo followers, store POS
//! members) applied to profiles: identities stitched, attributes set, orders recorded once.

use siyu_domain::TenantId;
use siyu_identity::{AttributeValue, Attributes, Stamped};
use siyu_import::{IdentityKind as ImportKind, Record, RowError};
use siyu_store::profiles::{self, OrderRow};
use siyu_store::Tx;

use super::{observe, IdentityInput, Session};
use crate::error::ApiError;
use crate::state::AppState;

/// What applying records did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Records applied (whether or not they changed anything).
    pub imported: u64,
    /// Records that changed something (a new profile, identity, attribute or order).
    pub changed: u64,
    /// Profiles created.
    pub created: u64,
    /// Merges made.
    pub merged: u64,
    /// Orders recorded for the first time.
    pub orders: u64,
    /// Records that could not be applied (their identities were refused), with why.
    pub errors: Vec<RowError>,
}

fn kind_name(k: ImportKind) -> &'static str {
    match k {
        ImportKind::TaobaoNick => "taobao",
        ImportKind::JdPin => "jd",
        ImportKind::WeiboUid => "weibo",
        ImportKind::MemberCard => "member_card",
        ImportKind::Phone => "phone",
        ImportKind::Email => "email",
    }
}

fn attributes_of(r: &Record, now: i64) -> Attributes {
    let mut out = Attributes::new();
    let mut put = |name: &str, value: AttributeValue| {
        out.insert(
            name.to_owned(),
            Stamped {
                value,
                updated_at: now,
            },
        );
    };
    let p = &r.profile;
    for (name, v) in [
        ("name", &p.name),
        ("nickname", &p.nickname),
        ("province", &p.province),
        ("city", &p.city),
        ("address", &p.address),
    ] {
        if let Some(v) = v.as_ref().filter(|v| !v.trim().is_empty()) {
            put(name, AttributeValue::Text(v.trim().to_owned()));
        }
    }
    if let Some(g) = p.gender {
        let text = match g {
            siyu_import::Gender::Male => "男",
            siyu_import::Gender::Female => "女",
        };
        put("gender", AttributeValue::Text(text.to_owned()));
    }
    if let Some(b) = p.birthday {
        let text = match b.year {
            Some(y) => format!("{y:04}-{:02}-{:02}", b.month, b.day),
            None => format!("--{:02}-{:02}", b.month, b.day),
        };
        put("birthday", AttributeValue::Text(text));
    }
    if let Some(m) = &r.membership {
        if let Some(points) = m.points {
            put("points", AttributeValue::Count(points));
        }
        if let Some(level) = m.level.as_ref().filter(|l| !l.trim().is_empty()) {
            put(
                "member_level",
                AttributeValue::Text(level.trim().to_owned()),
            );
        }
        if let Some(spend) = m.total_spend {
            put("store_spent_fen", AttributeValue::Count(spend.0));
        }
        if let Some(store) = m.store.as_ref().filter(|s| !s.trim().is_empty()) {
            put(
                "member_store",
                AttributeValue::Text(store.trim().to_owned()),
            );
        }
    }
    out
}

/// Applies records in `tx` through an open graph session. `source` names the preset
/// (`taobao-orders`, …); orders are keyed by it and the channel's order id.
pub async fn apply(
    state: &AppState,
    session: &mut Session,
    tx: &mut Tx,
    tenant: &TenantId,
    records: &[Record],
    source: &str,
    now: i64,
) -> Result<Applied, ApiError> {
    let mut out = Applied::default();
    let origin = format!("import:{source}");
    for r in records {
        let inputs: Vec<IdentityInput> = r
            .identities
            .iter()
            .map(|i| IdentityInput {
                kind: kind_name(i.kind).to_owned(),
                value: i.value.clone(),
                scope: None,
            })
            .collect();
        let parsed = match super::parse(state, tenant, &inputs).await {
            Ok(p) => p,
            Err(ApiError::Validation { field, message }) => {
                out.errors.push(RowError {
                    line: r.line,
                    field,
                    message,
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        if parsed.plain.is_empty() {
            out.errors.push(RowError {
                line: r.line,
                field: "identities".into(),
                message: "nothing identifies this customer: every identity was masked by the platform or a placeholder (such as \"null\" or 13800000000)"
                    .into(),
            });
            continue;
        }
        let attrs = attributes_of(r, now);
        let observed = match observe(session, tx, &parsed.plain, &attrs, &origin, now).await {
            Ok(o) => o,
            Err(ApiError::Validation { message, .. }) => {
                out.errors.push(RowError {
                    line: r.line,
                    field: "identities".into(),
                    message,
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        out.imported += 1;
        out.created += u64::from(observed.created);
        out.merged += observed.merges as u64;
        let mut changed = observed.changed;
        if let Some(order) = &r.order {
            // The order belongs to the profile its channel identity was first linked to, so an
            // undone merge leaves it where it came from.
            let home = profiles::find_token(tx, tenant, parsed.plain[0].token())
                .await?
                .map(|(home, _)| home);
            if let Some(customer_id) = home.or(observed.customer) {
                let row = OrderRow {
                    source: source.to_owned(),
                    order_id: order.order_id.clone(),
                    customer_id,
                    amount_fen: order.amount.0,
                    state: order
                        .state
                        .and_then(|s| serde_json::to_value(s).ok())
                        .and_then(|v| v.as_str().map(str::to_owned)),
                    sku: order.sku.clone(),
                    items: order.items.clone(),
                    quantity: order.quantity,
                    ordered_at: order.created_at,
                    paid_at: order.paid_at,
                };
                if profiles::insert_order(tx, tenant, &row, now).await? {
                    out.orders += 1;
                    changed = true;
                }
            }
        }
        out.changed += u64::from(changed);
    }
    Ok(out)
}
