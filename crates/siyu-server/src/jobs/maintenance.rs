//! Housekeeping: expired sessions, old sign-in failures and day-old audience changes are
//! deleted, and loyalty points past their expiry are written off. Enqueued at most once per hour across all nodes (the hour
//! is the dedupe key).

use serde::{Deserialize, Serialize};

use super::Job;
use crate::state::AppState;

/// Deletes expired console sessions and sign-in failures older than a day.
#[derive(Debug, Serialize, Deserialize)]
pub struct Maintenance {}

impl Job for Maintenance {
    const KIND: &'static str = "maintenance.purge";
}

pub(super) async fn run(state: AppState, _job: Maintenance) -> Result<(), String> {
    let now = state.now();
    let mut tx = state.store.begin().await.map_err(|e| e.to_string())?;
    let sessions = siyu_store::sessions::purge_expired(&mut tx, now)
        .await
        .map_err(|e| e.to_string())?;
    let failures = siyu_store::login_attempts::purge_before(&mut tx, now - 24 * 3_600_000)
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    let mut cards = 0;
    loop {
        let n = crate::membership::expire_all(&state, 500)
            .await
            .map_err(|e| e.to_string())?;
        cards += n;
        if n < 500 {
            break;
        }
    }
    // Every node reads the audience feed within moments; a day of it is plenty.
    let changes = siyu_store::audience::prune(&state.store, now - 24 * 3_600_000)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(sessions, failures, cards, changes, "maintenance purge done");
    Ok(())
}
