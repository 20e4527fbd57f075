//! The worker loop: claim due jobs, run their handlers, record the outcome; stop claiming on
//! shutdown and finish what is in hand.

use std::time::Duration;

use tokio::sync::watch;

use super::{Maintenance, Registry};
use crate::state::AppState;

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Identifies this worker in the `locked_by` column.
    pub worker_id: String,
    /// Pause between polls when the queue is empty.
    pub poll: Duration,
    /// How long a claim lasts before another worker may take the job over.
    pub lease: Duration,
    /// Jobs claimed per poll.
    pub batch: i64,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            worker_id: format!(
                "w-{}",
                crate::crypto::random_token().get(..12).unwrap_or("x")
            ),
            poll: Duration::from_millis(500),
            lease: Duration::from_secs(300),
            batch: 8,
        }
    }
}

/// Runs jobs until `shutdown` turns true.
pub async fn run_worker(
    state: AppState,
    registry: Registry,
    opts: WorkerOptions,
    mut shutdown: watch::Receiver<bool>,
) {
    let lease_ms = i64::try_from(opts.lease.as_millis()).unwrap_or(i64::MAX);
    let mut scheduled_hour = -1;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let hour = state.now() / 3_600_000;
        if hour != scheduled_hour {
            schedule_maintenance(&state, hour).await;
            scheduled_hour = hour;
        }
        let claimed = match siyu_store::jobs::claim(
            &state.store,
            &opts.worker_id,
            state.now(),
            lease_ms,
            opts.batch,
        )
        .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "job claim failed");
                Vec::new()
            }
        };
        let idle = claimed.is_empty();
        for job in claimed {
            let outcome = match registry.get(&job.kind) {
                None => Err(format!(
                    "no handler for job kind '{}' on this node",
                    job.kind
                )),
                Some(h) => match serde_json::from_str(&job.payload) {
                    Ok(v) => h(state.clone(), v).await,
                    Err(e) => Err(format!("payload is not JSON: {e}")),
                },
            };
            let now = state.now();
            let result = match outcome {
                Ok(()) => siyu_store::jobs::complete(&state.store, &job.id, &opts.worker_id, now)
                    .await
                    .map(|_| ()),
                Err(msg) => {
                    tracing::warn!(job.id = %job.id, job.kind = %job.kind, attempt = job.attempts, error = %msg, "job failed");
                    let backoff = 1_000i64.saturating_mul(1 << job.attempts.clamp(0, 16));
                    siyu_store::jobs::fail(
                        &state.store,
                        &job.id,
                        &opts.worker_id,
                        &msg,
                        now,
                        now + backoff,
                    )
                    .await
                }
            };
            if let Err(e) = result {
                tracing::warn!(job.id = %job.id, error = %e, "cannot record job outcome");
            }
        }
        if idle {
            tokio::select! {
                _ = tokio::time::sleep(opts.poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// Enqueues this hour's maintenance job; every node tries, the dedupe key keeps one.
async fn schedule_maintenance(state: &AppState, hour: i64) {
    let now = state.now();
    let key = format!("hour-{hour}");
    let res = async {
        let mut tx = state.store.begin().await?;
        super::enqueue(&mut tx, None, &Maintenance {}, Some(&key), now, now).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = res {
        tracing::warn!(error = %e, "cannot schedule maintenance");
    }
}
