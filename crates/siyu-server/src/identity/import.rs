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
    let policy = super::policy(state, tenant).await?;
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
        let parsed = match super::parse_with(state, tenant, &inputs, &policy).await {
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
            let first = parsed.plain[0].token();
            let home = match observed.linked.iter().find(|(t, _)| t == first) {
                Some((_, customer)) => Some(customer.clone()),
                None => profiles::find_token(tx, tenant, first)
                    .await?
                    .map(|(home, _)| home),
            };
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

/// Records per write transaction: short enough that other writers are not kept waiting.
const BATCH: usize = 500;

/// What importing one file did.
#[derive(Debug, Clone)]
pub struct Report {
    /// Rows read, rejected rows and their errors (parsing and stitching), warnings.
    pub summary: siyu_import::Summary,
    /// What applying the valid rows did.
    pub applied: Applied,
    /// Whether nothing was kept.
    pub dry_run: bool,
}

impl Report {
    /// The JSON line `siyu import --json` ends with.
    pub fn json_line(&self) -> serde_json::Value {
        let imported = if self.dry_run {
            0
        } else {
            self.applied.imported
        };
        let mut line: serde_json::Value =
            serde_json::from_str(&self.summary.to_json_line(imported)).unwrap_or_default();
        line["dry_run"] = serde_json::json!(self.dry_run);
        line["would_import"] = serde_json::json!(self.applied.imported);
        line["created"] = serde_json::json!(self.applied.created);
        line["merged"] = serde_json::json!(self.applied.merged);
        line["orders"] = serde_json::json!(self.applied.orders);
        line["unchanged"] = serde_json::json!(self.applied.imported - self.applied.changed);
        line
    }
}

/// Progress while importing: `(bytes read, file size or 0, rows imported)`.
pub type OnProgress<'a> = dyn Fn(u64, u64, u64) + Send + Sync + 'a;

/// Imports a file: parses it on a blocking thread (streamed, never all in memory) and applies
/// the valid rows in batches, each its own transaction. A dry run applies everything in one
/// transaction and rolls it back, so it reports exactly what would change. Audited unless dry.
#[allow(clippy::too_many_arguments)]
pub async fn run_file(
    state: &AppState,
    tenant: &TenantId,
    records: siyu_import::Records,
    file: &str,
    preset: siyu_import::Preset,
    dry_run: bool,
    actor: &crate::services::Actor,
    on_progress: &OnProgress<'_>,
) -> Result<Report, String> {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    let source = preset.name().to_owned();
    let (send, mut recv) = tokio::sync::mpsc::channel::<Vec<Record>>(4);
    let done = Arc::new(AtomicU64::new(0));
    let size = Arc::new(AtomicU64::new(0));
    let (reader_done, reader_size) = (done.clone(), size.clone());
    let reader_file = file.to_owned();
    let mut records = records;
    let reader = tokio::task::spawn_blocking(move || {
        let mut summary = siyu_import::Summary::new(reader_file);
        let mut batch = Vec::with_capacity(BATCH);
        while let Some(outcome) = records.next() {
            let outcome = outcome?;
            if summary.rows.is_multiple_of(1024) {
                let p = records.progress();
                reader_done.store(p.done, Ordering::Relaxed);
                reader_size.store(p.total.unwrap_or(0), Ordering::Relaxed);
            }
            summary.add(&outcome);
            if let siyu_import::Outcome::Valid(record) = outcome {
                batch.push(record);
                if batch.len() == BATCH
                    && send
                        .blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                        .is_err()
                {
                    break;
                }
            }
        }
        if !batch.is_empty() {
            let _ = send.blocking_send(batch);
        }
        Ok::<_, siyu_import::ImportError>(summary)
    });

    let mut total = Applied::default();
    let now = state.now();
    let mut dry: Option<(Tx, Session)> = None;
    while let Some(batch) = recv.recv().await {
        let applied = if dry_run {
            if dry.is_none() {
                let mut tx = state.store.begin().await.map_err(|e| e.to_string())?;
                let mut session = state
                    .identities
                    .open(&mut tx, tenant, now)
                    .await
                    .map_err(|e| e.to_string())?;
                session.begin_batch().map_err(|e| e.to_string())?;
                dry = Some((tx, session));
            }
            let Some((tx, session)) = dry.as_mut() else {
                return Err("internal error: no transaction".into());
            };
            apply(state, session, tx, tenant, &batch, &source, now)
                .await
                .map_err(|e| e.to_string())?
        } else {
            let mut tx = state.store.begin().await.map_err(|e| e.to_string())?;
            let mut session = state
                .identities
                .open(&mut tx, tenant, now)
                .await
                .map_err(|e| e.to_string())?;
            session.begin_batch().map_err(|e| e.to_string())?;
            let applied = apply(state, &mut session, &mut tx, tenant, &batch, &source, now)
                .await
                .map_err(|e| e.to_string())?;
            session
                .finish_batch(&mut tx, now)
                .await
                .map_err(|e| e.to_string())?;
            tx.commit().await.map_err(|e| e.to_string())?;
            applied
        };
        total.imported += applied.imported;
        total.changed += applied.changed;
        total.created += applied.created;
        total.merged += applied.merged;
        total.orders += applied.orders;
        total.errors.extend(applied.errors);
        on_progress(
            done.load(Ordering::Relaxed),
            size.load(Ordering::Relaxed),
            total.imported,
        );
    }
    // Dropping the transaction rolls the dry run back.
    drop(dry);
    let mut summary = reader
        .await
        .map_err(|e| format!("the reader stopped: {e}"))?
        .map_err(|e| e.to_string())?;
    // Rows the file parsed but stitching refused count as rejected too.
    summary.rejected += total.errors.len() as u64;
    summary.error_count += total.errors.len() as u64;
    summary.errors.extend(total.errors.iter().cloned());
    summary.errors.sort_by_key(|e| e.line);
    summary
        .errors
        .truncate(siyu_import::summary::MAX_STORED_ERRORS);

    if !dry_run && summary.rows > 0 {
        let mut tx = state.store.begin().await.map_err(|e| e.to_string())?;
        let name = std::path::Path::new(file)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned());
        crate::services::record(
            &mut tx,
            Some(tenant),
            actor,
            "customer.import",
            None,
            Some(serde_json::json!({
                "file": name, "preset": source, "rows": summary.rows, "imported": total.imported,
                "rejected": summary.rejected, "created": total.created, "merged": total.merged, "orders": total.orders,
            })),
            now,
        )
        .await
        .map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
    }
    Ok(Report {
        summary,
        applied: total,
        dry_run,
    })
}
