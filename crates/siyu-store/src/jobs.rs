//! The job queue: rows written in the same transaction as the change that needs them,
//! claimed by workers under a lease so a crashed worker's job runs again after a restart.
//!
//! PostgreSQL claims with `FOR UPDATE SKIP LOCKED` so concurrent nodes never block on or take
//! the same row; SQLite serialises writers, so one `UPDATE … RETURNING` inside an immediate
//! transaction is already exclusive.

use serde::Serialize;
use siyu_domain::{JobId, TenantId};

use crate::db::{on_pool, on_tx};
use crate::{Store, StoreError, Tx};

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    /// The tenant it works for, if any.
    pub tenant_id: Option<&'a TenantId>,
    /// The handler that runs it.
    pub kind: &'a str,
    /// Its typed payload, as JSON.
    pub payload: serde_json::Value,
    /// Enqueueing the same `(kind, dedupe_key)` twice yields one job.
    pub dedupe_key: Option<&'a str>,
    /// Earliest time it may run, Unix ms.
    pub run_at: i64,
    /// Attempts before it is marked failed.
    pub max_attempts: i64,
}

/// A job a worker now holds.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    /// Job id.
    pub id: String,
    /// Tenant, if any.
    pub tenant_id: Option<String>,
    /// Handler name.
    pub kind: String,
    /// JSON payload.
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
}

/// A job's state, for inspection.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Status {
    /// Job id.
    pub id: String,
    /// Handler name.
    pub kind: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The last failure's message.
    pub last_error: Option<String>,
}

/// Enqueues a job; returns `None` when a job with the same dedupe key already exists.
pub async fn enqueue(tx: &mut Tx, job: NewJob<'_>, now: i64) -> Result<Option<JobId>, StoreError> {
    let id = JobId::generate();
    let r = on_tx!(tx, c => sqlx::query(
        "INSERT INTO jobs (id, tenant_id, kind, payload, dedupe_key, state, max_attempts, run_at, created_at)
         VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8)
         ON CONFLICT (kind, dedupe_key) DO NOTHING")
        .bind(id.as_str()).bind(job.tenant_id.map(TenantId::as_str)).bind(job.kind)
        .bind(job.payload.to_string()).bind(job.dedupe_key).bind(job.max_attempts.max(1))
        .bind(job.run_at).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok((r == 1).then_some(id))
}

/// Claims up to `limit` due jobs (or jobs whose lease ran out) for `worker` until `now + lease_ms`.
pub async fn claim(
    store: &Store,
    worker: &str,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<Claimed>, StoreError> {
    let lock = match store {
        Store::Sqlite(..) => "",
        Store::Postgres(_) => "FOR UPDATE SKIP LOCKED",
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1
         WHERE id IN (
            SELECT id FROM jobs
            WHERE (state = 'queued' AND run_at <= $3) OR (state = 'running' AND locked_until < $3)
            ORDER BY run_at, id LIMIT $4 {lock})
         RETURNING id, tenant_id, kind, payload, attempts, max_attempts"
    );
    let mut tx = store.begin().await?;
    let rows: Vec<Claimed> = on_tx!(&mut tx, c => sqlx::query_as(&sql)
        .bind(worker).bind(now + lease_ms).bind(now).bind(limit).fetch_all(c).await)?;
    tx.commit().await?;
    Ok(rows)
}

/// Marks a held job done; returns false if the lease was lost to another worker meanwhile.
pub async fn complete(store: &Store, id: &str, worker: &str, now: i64) -> Result<bool, StoreError> {
    let r = on_pool!(store, p => sqlx::query(
        "UPDATE jobs SET state = 'done', finished_at = $3, locked_by = NULL, locked_until = NULL, last_error = NULL
         WHERE id = $1 AND locked_by = $2 AND state = 'running'")
        .bind(id).bind(worker).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(r == 1)
}

/// Records a failed attempt: retried at `retry_at`, or failed for good once attempts run out.
pub async fn fail(
    store: &Store,
    id: &str,
    worker: &str,
    error: &str,
    now: i64,
    retry_at: i64,
) -> Result<(), StoreError> {
    on_pool!(store, p => sqlx::query(
        "UPDATE jobs SET
            state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
            finished_at = CASE WHEN attempts >= max_attempts THEN $4 ELSE NULL END,
            run_at = $5, last_error = $3, locked_by = NULL, locked_until = NULL
         WHERE id = $1 AND locked_by = $2 AND state = 'running'")
        .bind(id).bind(worker).bind(error).bind(now).bind(retry_at).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Jobs waiting or running, for `/metrics` and the dashboard.
pub async fn queue_depth(store: &Store) -> Result<i64, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')").fetch_one(p).await)?)
}

/// One job's state.
pub async fn status(store: &Store, id: &str) -> Result<Status, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT id, kind, state, attempts, last_error FROM jobs WHERE id = $1").bind(id).fetch_one(p).await)?)
}

/// Jobs of one tenant waiting or running.
pub async fn queue_depth_for(store: &Store, tenant: &TenantId) -> Result<i64, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE tenant_id = $1 AND state IN ('queued', 'running')")
        .bind(tenant.as_str()).fetch_one(p).await)?)
}

/// One of a tenant's jobs; another tenant's is `NotFound`.
pub async fn status_for(store: &Store, tenant: &TenantId, id: &str) -> Result<Status, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT id, kind, state, attempts, last_error FROM jobs WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.as_str()).bind(id).fetch_one(p).await)?)
}

/// Cancels a tenant's jobs that have not started and whose payload mentions `needle` (an
/// erased customer's openid: queued sends to them must not go out). Returns how many.
pub async fn cancel_pending_mentioning(
    tx: &mut Tx,
    tenant: &TenantId,
    needle: &str,
) -> Result<u64, StoreError> {
    let pattern = format!(
        "%{}%",
        needle
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    Ok(on_tx!(tx, c => sqlx::query(
        "DELETE FROM jobs WHERE tenant_id = $1 AND state = 'queued' AND payload LIKE $2 ESCAPE '\\'")
        .bind(tenant.as_str()).bind(pattern).execute(c).await.map(|r| r.rows_affected()))?)
}
