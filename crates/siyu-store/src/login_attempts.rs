//! Failed sign-ins, counted in the database so the limit holds across nodes.

use crate::db::{on_pool, on_tx};
use crate::{Store, StoreError, Tx};

/// Records one failed sign-in.
pub async fn record_failure(
    tx: &mut Tx,
    login: &str,
    ip: &str,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query("INSERT INTO login_failures (login, ip, at) VALUES ($1, $2, $3)")
        .bind(login).bind(ip).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Failures since `since` for this login and for this address: `(by_login, by_ip)`.
pub async fn recent_failures(
    store: &Store,
    login: &str,
    ip: &str,
    since: i64,
) -> Result<(i64, i64), StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM login_failures WHERE login = $1 AND at > $3),
                (SELECT COUNT(*) FROM login_failures WHERE ip = $2 AND at > $3)")
        .bind(login).bind(ip).bind(since).fetch_one(p).await)?)
}

/// Forgets a login's failures after it signs in successfully.
pub async fn clear(tx: &mut Tx, login: &str) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query("DELETE FROM login_failures WHERE login = $1").bind(login).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Drops failures older than `before`.
pub async fn purge_before(tx: &mut Tx, before: i64) -> Result<u64, StoreError> {
    let r = on_tx!(tx, c => sqlx::query("DELETE FROM login_failures WHERE at <= $1").bind(before).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(r)
}
