//! API keys: shown once at creation, stored as a SHA-256 hash, revocable, optionally expiring.

use serde::Serialize;
use siyu_domain::{ApiKeyId, TenantId};

use crate::db::{on_pool, on_tx};
use crate::{hash_secret, Store, StoreError, Tx};

/// An API key's metadata (never the secret).
#[derive(Debug, Clone, Serialize)]
pub struct ApiKey {
    /// Its id.
    pub id: ApiKeyId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// What the merchant called it.
    pub label: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Expiry, Unix ms, if any.
    pub expires_at: Option<i64>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<i64>,
    /// Last successful use, Unix ms.
    pub last_used_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    tenant_id: String,
    label: String,
    prefix: String,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
}

const COLUMNS: &str =
    "id, tenant_id, label, prefix, created_at, expires_at, revoked_at, last_used_at";

impl TryFrom<Row> for ApiKey {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(ApiKey {
            id: ApiKeyId::parse(&r.id)?,
            tenant_id: TenantId::parse(&r.tenant_id)?,
            label: r.label,
            prefix: r.prefix,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            last_used_at: r.last_used_at,
        })
    }
}

/// Why a presented key was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRejection {
    /// No key has this hash.
    Unknown,
    /// The key was revoked.
    Revoked,
    /// The key is past its expiry.
    Expired,
}

/// Stores a new key for `tenant`; `secret` is the full key text, hashed here.
pub async fn insert(
    tx: &mut Tx,
    id: &ApiKeyId,
    tenant: &TenantId,
    label: &str,
    secret: &str,
    expires_at: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    let prefix: String = secret.chars().take(12).collect();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO api_keys (id, tenant_id, label, prefix, key_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(id.as_str()).bind(tenant.as_str()).bind(label).bind(&prefix).bind(hash_secret(secret))
        .bind(now).bind(expires_at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Resolves a presented key to its record, or says why it is refused.
pub async fn authenticate(
    store: &Store,
    secret: &str,
    now: i64,
) -> Result<Result<ApiKey, KeyRejection>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE key_hash = $1");
    let row: Option<Row> = on_pool!(store, p => sqlx::query_as(&sql).bind(hash_secret(secret)).fetch_optional(p).await)?;
    let Some(row) = row else {
        return Ok(Err(KeyRejection::Unknown));
    };
    let key = ApiKey::try_from(row)?;
    if key.revoked_at.is_some() {
        return Ok(Err(KeyRejection::Revoked));
    }
    if key.expires_at.is_some_and(|e| e <= now) {
        return Ok(Err(KeyRejection::Expired));
    }
    // Recording use is best-effort bookkeeping; at most one write per key per minute.
    if key.last_used_at.is_none_or(|t| now - t > 60_000) {
        on_pool!(store, p => sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1")
            .bind(key.id.as_str()).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
    }
    Ok(Ok(key))
}

/// A tenant's keys, newest first.
pub async fn list(store: &Store, tenant: &TenantId) -> Result<Vec<ApiKey>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id");
    let rows: Vec<Row> =
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).fetch_all(p).await)?;
    rows.into_iter().map(ApiKey::try_from).collect()
}

/// Revokes a tenant's key; another tenant's key or an already revoked one is `NotFound`.
pub async fn revoke(
    tx: &mut Tx,
    tenant: &TenantId,
    id: &ApiKeyId,
    now: i64,
) -> Result<(), StoreError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL")
        .bind(tenant.as_str()).bind(id.as_str()).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Keys of a tenant that still work.
pub async fn count_active(store: &Store, tenant: &TenantId, now: i64) -> Result<i64, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)")
        .bind(tenant.as_str()).bind(now).fetch_one(p).await)?)
}
