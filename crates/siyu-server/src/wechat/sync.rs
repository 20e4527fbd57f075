//! Follower sync: import an existing account's fans. One job per page of WeChat's follower
//! list (up to 10,000 openids); each page's profiles and the job for the next page commit
//! together, so a crash resumes at the page it was on and a re-run changes nothing.

use serde::{Deserialize, Serialize};
use siyu_domain::TenantId;
use siyu_store::customers;

use crate::jobs::{self, Job};
use crate::state::AppState;

/// Import one page of followers, then enqueue the next.
#[derive(Debug, Serialize, Deserialize)]
pub struct SyncFollowers {
    /// The Official Account.
    pub account_id: String,
    /// Where this page starts (`None`: the beginning).
    pub next_openid: Option<String>,
    /// Distinguishes one sync run from another (so a new sync is not deduplicated away).
    pub run: String,
}

impl Job for SyncFollowers {
    const KIND: &'static str = "wechat.sync_followers";
    const MAX_ATTEMPTS: i64 = 8;
}

/// The job handler.
pub async fn run(state: AppState, job: SyncFollowers) -> Result<(), String> {
    let account = siyu_store::wechat_accounts::get_for_callback(&state.store, &job.account_id)
        .await
        .map_err(|e| format!("account {}: {e}", job.account_id))?;
    let tenant = TenantId::parse(&account.tenant_id).map_err(|e| e.to_string())?;
    let client = super::client::client_for(&state, &account).map_err(|e| e.to_string())?;
    let page = client
        .followers(job.next_openid.as_deref())
        .await
        .map_err(|e| e.to_string())?;
    let mut infos = Vec::with_capacity(page.openids.len());
    for chunk in page.openids.chunks(100) {
        infos.extend(
            client
                .user_info_batch(chunk, Some("zh_CN"))
                .await
                .map_err(|e| e.to_string())?,
        );
    }

    let now = state.now();
    let mut tx = state.store.begin().await.map_err(|e| e.to_string())?;
    let mut imported = 0u64;
    for u in infos.iter().filter(|u| u.subscribe == 1) {
        let id = crate::identity::wechat_fan(
            &state,
            &mut tx,
            &tenant,
            &crate::identity::Fan {
                app_id: &account.app_id,
                openid: &u.openid,
                unionid: u.unionid.as_deref(),
                source: "wechat.sync",
            },
            now,
        )
        .await
        .map_err(|e| e.to_string())?;
        let at = u.subscribe_time.map(|t| t * 1000).unwrap_or(now);
        let scene = u.qr_scene_str.as_deref().filter(|s| !s.is_empty());
        if customers::record_synced_follow(&mut tx, &tenant, &id, &account.id, scene, at, now)
            .await
            .map_err(|e| e.to_string())?
        {
            imported += 1;
        }
    }
    // WeChat signals the end with an empty page; stop there.
    if let Some(next) = page
        .next_openid
        .filter(|n| !n.is_empty() && !page.openids.is_empty())
    {
        let next_job = SyncFollowers {
            account_id: job.account_id.clone(),
            next_openid: Some(next.clone()),
            run: job.run.clone(),
        };
        let key = format!("{}:{}:{next}", job.account_id, job.run);
        jobs::enqueue(&mut tx, Some(&tenant), &next_job, Some(&key), now, now)
            .await
            .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    tracing::info!(wechat.account = %account.id, page = page.openids.len(), imported, "follower page synced");
    Ok(())
}

/// Starts a follower sync for one of `tenant`'s accounts; returns the first page's job id.
pub async fn start(
    state: &AppState,
    tenant: &TenantId,
    account_id: &str,
    actor: &crate::services::Actor,
) -> Result<siyu_domain::JobId, crate::error::ApiError> {
    siyu_store::wechat_accounts::get(&state.store, tenant, account_id).await?;
    let now = state.now();
    let run = crate::crypto::random_token()[..12].to_owned();
    let job = SyncFollowers {
        account_id: account_id.to_owned(),
        next_openid: None,
        run: run.clone(),
    };
    let mut tx = state.store.begin().await?;
    let id = jobs::enqueue(
        &mut tx,
        Some(tenant),
        &job,
        Some(&format!("{account_id}:{run}:start")),
        now,
        now,
    )
    .await?
    .ok_or(crate::error::ApiError::Internal)?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "wechat_account.sync",
        Some(account_id),
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
