//! Background jobs: typed, idempotent, enqueued in the same transaction as the write that
//! needs them, and run by a worker on every node (the database decides who runs what).

mod maintenance;
mod runner;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use siyu_domain::{JobId, TenantId};
use siyu_store::{jobs, StoreError, Tx};

use crate::state::AppState;

pub use maintenance::Maintenance;
pub use runner::{run_worker, WorkerOptions};

/// A kind of background work. Handlers must be idempotent: a job whose worker died is run
/// again once its lease expires.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The stable name stored with the job.
    const KIND: &'static str;
    /// Attempts before the job is marked failed.
    const MAX_ATTEMPTS: i64 = 5;
}

/// Enqueues `job` inside `tx`; returns `None` if `dedupe_key` was already used for this kind.
pub async fn enqueue<J: Job>(
    tx: &mut Tx,
    tenant: Option<&TenantId>,
    job: &J,
    dedupe_key: Option<&str>,
    run_at: i64,
    now: i64,
) -> Result<Option<JobId>, StoreError> {
    let payload = serde_json::to_value(job).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    jobs::enqueue(
        tx,
        jobs::NewJob {
            tenant_id: tenant,
            kind: J::KIND,
            payload,
            dedupe_key,
            run_at,
            max_attempts: J::MAX_ATTEMPTS,
        },
        now,
    )
    .await
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
type Handler = Arc<dyn Fn(AppState, serde_json::Value) -> BoxFuture + Send + Sync>;

/// The handlers this node knows, by job kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<&'static str, Handler>,
}

impl Registry {
    /// The handlers siyu ships with.
    pub fn standard() -> Self {
        let mut r = Registry::default();
        r.register::<Maintenance, _, _>(maintenance::run);
        r.register::<crate::wechat::sync::SyncFollowers, _, _>(crate::wechat::sync::run);
        r.register::<crate::wechat::menu::PublishMenu, _, _>(crate::wechat::menu::publish);
        r.register::<crate::stores::LocationOffer, _, _>(crate::stores::send_offer);
        r.register::<crate::pushes::SendPush, _, _>(crate::pushes::run);
        r.register::<crate::vouchers::IssueVoucher, _, _>(crate::vouchers::run_issue);
        r
    }

    /// Adds a handler for job type `J`.
    pub fn register<J, F, Fut>(&mut self, f: F)
    where
        J: Job,
        F: Fn(AppState, J) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let f = Arc::new(f);
        self.handlers.insert(
            J::KIND,
            Arc::new(move |state, value| {
                let f = f.clone();
                Box::pin(async move {
                    let job: J =
                        serde_json::from_value(value).map_err(|e| format!("bad payload: {e}"))?;
                    f(state, job).await
                })
            }),
        );
    }

    fn get(&self, kind: &str) -> Option<&Handler> {
        self.handlers.get(kind)
    }
}
