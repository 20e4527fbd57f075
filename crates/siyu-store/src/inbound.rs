//! Every callback WeChat delivered, once: the unique `(account_id, dedupe_key)` makes a retry
//! (to this node or another) find the first delivery instead of acting again.

use serde::Serialize;
use siyu_domain::TenantId;

use crate::db::{on_pool, on_tx};
use crate::{Store, StoreError, Tx};

/// A callback to record.
#[derive(Debug, Clone)]
pub struct NewInbound<'a> {
    /// Tenant.
    pub tenant_id: &'a TenantId,
    /// Official Account.
    pub account_id: &'a str,
    /// Customer, once known.
    pub customer_id: Option<&'a str>,
    /// MsgId, or FromUserName + CreateTime (+ Event + EventKey).
    pub dedupe_key: &'a str,
    /// The fan's openid.
    pub openid: &'a str,
    /// `MsgType`.
    pub msg_type: &'a str,
    /// `Event`, for events.
    pub event: Option<&'a str>,
    /// `EventKey`, for events that carry one.
    pub event_key: Option<&'a str>,
    /// Text content (text messages, voice recognition, link titles, location labels).
    pub content: Option<&'a str>,
    /// The decrypted XML.
    pub xml: &'a str,
    /// `CreateTime`, as Unix ms.
    pub created_at: i64,
}

/// A recorded callback, as the conversation view shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Inbound {
    /// Sequence number.
    pub id: i64,
    /// Official Account.
    pub account_id: String,
    /// `MsgType`.
    pub msg_type: String,
    /// `Event`.
    pub event: Option<String>,
    /// `EventKey`.
    pub event_key: Option<String>,
    /// Text content.
    pub content: Option<String>,
    /// The passive reply siyu gave, as XML (absent for an empty reply).
    pub reply: Option<String>,
    /// `CreateTime`, Unix ms.
    pub created_at: i64,
    /// When siyu received it, Unix ms.
    pub received_at: i64,
}

/// Records a callback; `None` when the same delivery was recorded before.
pub async fn insert(tx: &mut Tx, m: &NewInbound<'_>, now: i64) -> Result<Option<i64>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO wechat_inbound (tenant_id, account_id, customer_id, dedupe_key, openid, msg_type, event, event_key, content, xml, created_at, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (account_id, dedupe_key) DO NOTHING RETURNING id")
        .bind(m.tenant_id.as_str()).bind(m.account_id).bind(m.customer_id).bind(m.dedupe_key).bind(m.openid)
        .bind(m.msg_type).bind(m.event).bind(m.event_key).bind(m.content).bind(m.xml).bind(m.created_at).bind(now)
        .fetch_optional(c).await)?)
}

/// Records many callbacks with their replies; returns the dedupe keys of those recorded now
/// (the others were recorded before).
pub async fn insert_many(
    tx: &mut Tx,
    rows: &[(NewInbound<'_>, Option<&str>)],
    now: i64,
) -> Result<std::collections::HashSet<String>, StoreError> {
    if rows.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    let json = serde_json::Value::Array(
        rows.iter()
            .map(|(m, reply)| {
                serde_json::json!([
                    m.tenant_id.as_str(),
                    m.account_id,
                    m.customer_id,
                    m.dedupe_key,
                    m.openid,
                    m.msg_type,
                    m.event,
                    m.event_key,
                    m.content,
                    m.xml,
                    m.created_at,
                    reply
                ])
            })
            .collect(),
    )
    .to_string();
    let rows_sql = crate::db::JsonRows::of(tx).select(
        1,
        &[
            ("tenant_id", "text"),
            ("account_id", "text"),
            ("customer_id", "text"),
            ("dedupe_key", "text"),
            ("openid", "text"),
            ("msg_type", "text"),
            ("event", "text"),
            ("event_key", "text"),
            ("content", "text"),
            ("xml", "text"),
            ("created_at", "bigint"),
            ("reply", "text"),
        ],
    );
    // `WHERE true` tells SQLite's parser the upsert clause is not a join's.
    let sql = format!(
        "INSERT INTO wechat_inbound (tenant_id, account_id, customer_id, dedupe_key, openid, msg_type, event, event_key, content, xml, created_at, reply, received_at)
         SELECT r.*, $2 FROM ({rows_sql}) AS r WHERE true
         ON CONFLICT (account_id, dedupe_key) DO NOTHING RETURNING dedupe_key"
    );
    let keys: Vec<String> =
        on_tx!(tx, c => sqlx::query_scalar(&sql).bind(&json).bind(now).fetch_all(&mut *c).await)?;
    Ok(keys.into_iter().collect())
}

/// Stores the reply given to a recorded callback.
pub async fn set_reply(tx: &mut Tx, id: i64, reply: Option<&str>) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query("UPDATE wechat_inbound SET reply = $2 WHERE id = $1")
        .bind(id).bind(reply).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

const EARLIER_REPLY: &str =
    "SELECT reply FROM wechat_inbound WHERE account_id = $1 AND dedupe_key = $2";

/// The reply recorded for an earlier delivery: `Some(reply)` if that delivery exists.
pub async fn earlier_reply(
    store: &Store,
    account: &str,
    dedupe_key: &str,
) -> Result<Option<Option<String>>, StoreError> {
    let row: Option<(Option<String>,)> = on_pool!(store, p => sqlx::query_as(
        EARLIER_REPLY)
        .bind(account).bind(dedupe_key).fetch_optional(p).await)?;
    Ok(row.map(|r| r.0))
}

/// [`earlier_reply`] inside `tx`, which sees the transaction's own writes.
pub async fn earlier_reply_tx(
    tx: &mut Tx,
    account: &str,
    dedupe_key: &str,
) -> Result<Option<Option<String>>, StoreError> {
    let row: Option<(Option<String>,)> = on_tx!(tx, c => sqlx::query_as(
        EARLIER_REPLY)
        .bind(account).bind(dedupe_key).fetch_optional(c).await)?;
    Ok(row.map(|r| r.0))
}

/// A customer's received messages and events, newest first.
pub async fn for_customer(
    store: &Store,
    tenant: &TenantId,
    customer: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Inbound>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT id, account_id, msg_type, event, event_key, content, reply, created_at, received_at FROM wechat_inbound
         WHERE tenant_id = $1 AND customer_id IN (SELECT id FROM customers WHERE tenant_id = $1 AND canonical_id = $2)
           AND id < $3 ORDER BY id DESC LIMIT $4")
        .bind(tenant.as_str()).bind(customer).bind(before.unwrap_or(i64::MAX)).bind(limit).fetch_all(p).await)?)
}

/// How many callbacks an account received (for tests and the dashboard).
pub async fn count_for_account(store: &Store, account: &str) -> Result<i64, StoreError> {
    Ok(
        on_pool!(store, p => sqlx::query_scalar("SELECT COUNT(*) FROM wechat_inbound WHERE account_id = $1")
        .bind(account).fetch_one(p).await)?,
    )
}
