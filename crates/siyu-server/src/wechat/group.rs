//! Group commit of callbacks. A burst of fans scanning one code at an event is thousands of
//! small write transactions; one database commit per callback makes the database's commit,
//! not the work, the limit (on SQLite, one writer at a time, each commit rewriting the same
//! pages). Callbacks instead queue their writes on a lane; one drainer per busy lane takes
//! everything queued, records it all in one transaction, commits, and only then answers each
//! callback. A callback's reply is never sent before its writes are durable.
//!
//! If any callback of a batch fails, or the commit does, the batch is rolled back and every
//! callback in it is recorded again on its own, so one bad delivery costs the others
//! nothing but time. Within a batch, callbacks are ordered by tenant and fan, so two batches
//! (on two nodes) take tenants' locks and write fans' rows in the same order; a deadlock the
//! database still finds costs a rollback and the one-by-one path, never a lost callback.

use std::panic::AssertUnwindSafe;
use std::sync::Mutex;

use futures_util::FutureExt;

use siyu_store::Tx;
use tokio::sync::oneshot;

use super::effects::{record, Recorded, Work};
use crate::error::ApiError;
use crate::state::AppState;

/// The most callbacks one transaction records.
pub const MAX_BATCH: usize = 512;

struct Job {
    work: Work,
    done: oneshot::Sender<Result<Recorded, ApiError>>,
}

#[derive(Default)]
struct Lane {
    queue: Vec<Job>,
    draining: bool,
}

/// The lanes of this node. SQLite has one (it takes one writer at a time); PostgreSQL has
/// several, a tenant always on the same one.
pub struct GroupCommit {
    lanes: Vec<Mutex<Lane>>,
}

impl GroupCommit {
    /// The lanes `store` takes: one for SQLite, four for PostgreSQL.
    pub fn for_store(store: &siyu_store::Store) -> Self {
        Self::new(match store.backend() {
            siyu_store::Backend::Sqlite => 1,
            siyu_store::Backend::Postgres => 4,
        })
    }

    /// `lanes` lanes (at least one).
    pub fn new(lanes: usize) -> Self {
        Self {
            lanes: (0..lanes.max(1)).map(|_| Mutex::default()).collect(),
        }
    }

    fn lane_of(&self, tenant: &str) -> usize {
        let h = tenant.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        (h % self.lanes.len() as u64) as usize
    }

    /// Records `work` in the next transaction of its lane and returns once that commits.
    pub(super) async fn record(&self, state: &AppState, work: Work) -> Result<Recorded, ApiError> {
        let lane = self.lane_of(work.tenant.as_str());
        let (done, answer) = oneshot::channel();
        let start = {
            let mut l = self.lanes[lane].lock().map_err(|_| ApiError::Internal)?;
            l.queue.push(Job { work, done });
            !std::mem::replace(&mut l.draining, true)
        };
        if start {
            // A task of its own: a callback whose client hangs up must not take the batch
            // down with it.
            let state = state.clone();
            tokio::spawn(async move { drain(&state, lane).await });
        }
        answer.await.map_err(|_| ApiError::Internal)?
    }
}

/// Runs the lane's batches until its queue is empty.
async fn drain(state: &AppState, lane: usize) {
    loop {
        let batch: Vec<Job> = {
            let Ok(mut l) = state.callbacks.lanes[lane].lock() else {
                return;
            };
            if l.queue.is_empty() {
                l.draining = false;
                return;
            }
            let n = l.queue.len().min(MAX_BATCH);
            l.queue.drain(..n).collect()
        };
        // A panic loses this batch's answers (their callbacks fail and WeChat retries), not
        // the lane: the rest of the queue is still recorded.
        let size = batch.len();
        if AssertUnwindSafe(run(state, batch))
            .catch_unwind()
            .await
            .is_err()
        {
            tracing::error!(size, "callback batch panicked");
        }
    }
}

async fn run(state: &AppState, mut batch: Vec<Job>) {
    // Stable: a fan's deliveries keep their order. By fan within a tenant, so two nodes'
    // batches write shared rows in the same order.
    fn key(j: &Job) -> (&str, &str) {
        let w = &j.work;
        (
            w.tenant.as_str(),
            w.inbound.message.header.from_user_name.as_str(),
        )
    }
    batch.sort_by(|a, b| key(a).cmp(&key(b)));
    metrics::histogram!("siyu_wechat_callback_batch_size").record(batch.len() as f64);
    if batch.len() > 1 {
        match together(state, &batch).await {
            Ok(results) => {
                metrics::counter!("siyu_wechat_callback_batches_total", "outcome" => "together")
                    .increment(1);
                for (job, r) in batch.into_iter().zip(results) {
                    let _ = job.done.send(Ok(r));
                }
                return;
            }
            Err(e) => {
                metrics::counter!("siyu_wechat_callback_batches_total", "outcome" => "one_by_one")
                    .increment(1);
                tracing::warn!(error = %e, size = batch.len(), "callback batch failed; recording each alone");
            }
        }
    }
    for job in batch {
        let r = alone(state, &job.work).await;
        let _ = job.done.send(r);
    }
}

async fn together(state: &AppState, batch: &[Job]) -> Result<Vec<Recorded>, ApiError> {
    let works: Vec<&Work> = batch.iter().map(|j| &j.work).collect();
    let (runs, rest) = super::fans::split(&works);
    let mut out: Vec<Option<Recorded>> = batch.iter().map(|_| None).collect();
    let mut tx: Tx = state.store.begin().await?;
    for run in runs {
        let run_works: Vec<&Work> = run.iter().map(|&i| works[i]).collect();
        let recorded = super::fans::record(state, &mut tx, &run_works).await?;
        for (i, r) in run.into_iter().zip(recorded) {
            out[i] = Some(r);
        }
    }
    for i in rest {
        out[i] = Some(record(state, &mut tx, works[i]).await?);
    }
    tx.commit().await?;
    out.into_iter()
        .map(|r| r.ok_or(ApiError::Internal))
        .collect()
}

async fn alone(state: &AppState, work: &Work) -> Result<Recorded, ApiError> {
    let mut tx = state.store.begin().await?;
    let r = record(state, &mut tx, work).await?;
    tx.commit().await?;
    Ok(r)
}
