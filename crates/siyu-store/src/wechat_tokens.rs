//! WeChat access tokens in the database: one token per AppID for all nodes, and a lease so
//! that when it expires exactly one node fetches the next (WeChat invalidates the previous
//! token on every fetch, so racing nodes would knock each other's tokens out).

use crate::db::{on_pool, on_tx};
use crate::{Store, StoreError};

/// A stored token: sealed text, hash for comparisons, expiry in Unix seconds.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredToken {
    /// The token, sealed with the deployment key.
    pub token_sealed: String,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
}

/// The current token of an AppID, if any.
pub async fn load(store: &Store, app_id: &str) -> Result<Option<StoredToken>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT token_sealed, expires_at FROM wechat_tokens WHERE app_id = $1 AND token_sealed IS NOT NULL AND expires_at IS NOT NULL")
        .bind(app_id).fetch_optional(p).await)?)
}

/// Stores a freshly fetched token.
pub async fn save(
    store: &Store,
    app_id: &str,
    sealed: &str,
    hash: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO wechat_tokens (app_id, token_sealed, token_hash, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (app_id) DO UPDATE SET token_sealed = $2, token_hash = $3, expires_at = $4")
        .bind(app_id).bind(sealed).bind(hash).bind(expires_at).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await
}

/// Forgets the token if it is still the one WeChat rejected.
pub async fn invalidate(store: &Store, app_id: &str, stale_hash: &str) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE wechat_tokens SET token_sealed = NULL, token_hash = NULL, expires_at = NULL WHERE app_id = $1 AND token_hash = $2")
        .bind(app_id).bind(stale_hash).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await
}

/// Takes the refresh lease for `holder` until `until_ms` unless another holder has a live one.
pub async fn try_lease(
    store: &Store,
    app_id: &str,
    holder: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<bool, StoreError> {
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO wechat_tokens (app_id, lease_owner, lease_until) VALUES ($1, $2, $3)
         ON CONFLICT (app_id) DO UPDATE SET lease_owner = $2, lease_until = $3
         WHERE wechat_tokens.lease_until IS NULL OR wechat_tokens.lease_until < $4 OR wechat_tokens.lease_owner = $2")
        .bind(app_id).bind(holder).bind(until_ms).bind(now_ms).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n == 1)
}

/// Gives the lease back.
pub async fn release(store: &Store, app_id: &str, holder: &str) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE wechat_tokens SET lease_owner = NULL, lease_until = NULL WHERE app_id = $1 AND lease_owner = $2")
        .bind(app_id).bind(holder).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await
}
