//! Console sessions, kept in the database so any node can serve any request.

use siyu_domain::StaffId;

use crate::db::{on_pool, on_tx};
use crate::{hash_secret, Store, StoreError, Tx};

/// Records a session for `token` (stored hashed) until `expires_at`.
pub async fn insert(
    tx: &mut Tx,
    token: &str,
    staff: &StaffId,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO sessions (token_hash, staff_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(hash_secret(token)).bind(staff.as_str()).bind(now).bind(expires_at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The staff member a live session belongs to, if the token is valid and unexpired.
pub async fn lookup(store: &Store, token: &str, now: i64) -> Result<Option<StaffId>, StoreError> {
    let id: Option<String> = on_pool!(store, p => sqlx::query_scalar(
        "SELECT s.staff_id FROM sessions s JOIN staff st ON st.id = s.staff_id
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND st.disabled_at IS NULL")
        .bind(hash_secret(token)).bind(now).fetch_optional(p).await)?;
    Ok(id.as_deref().map(StaffId::parse).transpose()?)
}

/// Ends a session.
pub async fn delete(tx: &mut Tx, token: &str) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(hash_secret(token)).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes expired sessions; returns how many.
pub async fn purge_expired(tx: &mut Tx, now: i64) -> Result<u64, StoreError> {
    let r = on_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(r)
}
