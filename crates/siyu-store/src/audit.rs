//! The audit log: who did what to which tenant, when. Append-only.

use serde::Serialize;
use siyu_domain::TenantId;

use crate::db::{on_pool, on_tx};
use crate::{Store, StoreError, Tx};

/// One recorded action.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Entry {
    /// Sequence number, increasing.
    pub id: i64,
    /// The tenant acted on; `None` for platform-level actions.
    pub tenant_id: Option<String>,
    /// Who acted: `staff:<id>`, `api_key:<id>`, `cli`, `system`.
    pub actor: String,
    /// What was done, e.g. `staff.create`.
    pub action: String,
    /// The object acted on, e.g. a staff id.
    pub target: Option<String>,
    /// Extra facts as JSON text (never secrets or personal data).
    pub detail: Option<String>,
    /// When, Unix ms.
    pub at: i64,
}

/// A new entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// The tenant acted on.
    pub tenant_id: Option<&'a TenantId>,
    /// Who acted.
    pub actor: &'a str,
    /// What was done.
    pub action: &'a str,
    /// The object acted on.
    pub target: Option<&'a str>,
    /// Extra facts.
    pub detail: Option<serde_json::Value>,
}

/// Appends an entry inside the caller's transaction, so it commits with the change it records.
pub async fn record(tx: &mut Tx, e: NewEntry<'_>, now: i64) -> Result<(), StoreError> {
    let detail = e.detail.map(|d| d.to_string());
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO audit_log (tenant_id, actor, action, target, detail, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(e.tenant_id.map(TenantId::as_str)).bind(e.actor).bind(e.action).bind(e.target)
        .bind(detail).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A tenant's entries, newest first, `limit` of them before sequence number `before`.
pub async fn list(
    store: &Store,
    tenant: &TenantId,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Entry>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT id, tenant_id, actor, action, target, detail, at FROM audit_log
         WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3")
        .bind(tenant.as_str()).bind(before.unwrap_or(i64::MAX)).bind(limit).fetch_all(p).await)?)
}

/// How many entries a tenant has since `since`.
pub async fn count_since(store: &Store, tenant: &TenantId, since: i64) -> Result<i64, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1 AND at >= $2")
        .bind(tenant.as_str()).bind(since).fetch_one(p).await)?)
}
