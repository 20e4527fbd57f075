//! Stores and location-triggered offers: a fan's LOCATION report inside a store's geofence
//! enqueues that store's offer (at most one offer per fan per day), sent as a customer-service
//! message through the job runner while WeChat's 48-hour window is open.

use serde::{Deserialize, Serialize};
use siyu_domain::TenantId;
use siyu_store::stores::{self as store, StoreRow};
use siyu_store::Tx;

use crate::error::ApiError;
use crate::jobs::{self, Job};
use crate::services::Actor;
use crate::state::AppState;

/// A new store.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStore {
    /// Display name, e.g. `滨湖店`.
    pub name: String,
    /// Latitude (WGS-84, as WeChat reports it).
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
    /// Geofence radius in metres (20–5000, default 200).
    pub radius_m: Option<i64>,
    /// The offer sent to fans who arrive nearby (at most 600 characters).
    pub offer_text: Option<String>,
}

/// Creates a store (audited).
pub async fn create(
    state: &AppState,
    tenant: &TenantId,
    n: NewStore,
    actor: &Actor,
) -> Result<StoreRow, ApiError> {
    let len = n.name.trim().chars().count();
    if len == 0 || len > 50 {
        return Err(ApiError::invalid("name", "must be 1 to 50 characters"));
    }
    if !(-90.0..=90.0).contains(&n.latitude) || !n.latitude.is_finite() {
        return Err(ApiError::invalid("latitude", "must be between -90 and 90"));
    }
    if !(-180.0..=180.0).contains(&n.longitude) || !n.longitude.is_finite() {
        return Err(ApiError::invalid(
            "longitude",
            "must be between -180 and 180",
        ));
    }
    let radius_m = n.radius_m.unwrap_or(200);
    if !(20..=5_000).contains(&radius_m) {
        return Err(ApiError::invalid("radius_m", "must be 20 to 5000 metres"));
    }
    if n.offer_text
        .as_deref()
        .is_some_and(|t| t.chars().count() > 600)
    {
        return Err(ApiError::invalid(
            "offer_text",
            "must be at most 600 characters",
        ));
    }
    let now = state.now();
    let s = StoreRow {
        id: format!("sr_{}", &siyu_domain::JobId::generate().as_str()[3..]),
        tenant_id: tenant.to_string(),
        name: n.name.trim().to_owned(),
        latitude: n.latitude,
        longitude: n.longitude,
        radius_m,
        offer_text: n
            .offer_text
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty()),
        created_at: now,
    };
    let mut tx = state.store.begin().await?;
    store::insert(&mut tx, &s).await?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "store.create",
        Some(&s.id),
        Some(serde_json::json!({"name": s.name})),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(s)
}

/// Sends a store's offer to a fan who reported a location inside its geofence.
#[derive(Debug, Serialize, Deserialize)]
pub struct LocationOffer {
    /// The Official Account to send through.
    pub account_id: String,
    /// The fan.
    pub openid: String,
    /// The store.
    pub store_id: String,
}

impl Job for LocationOffer {
    const KIND: &'static str = "wechat.location_offer";
    const MAX_ATTEMPTS: i64 = 4;
}

/// The nearest store with an offer whose geofence contains the point, if any.
pub fn store_at(stores: &[StoreRow], lat: f64, lon: f64) -> Option<&StoreRow> {
    stores
        .iter()
        .filter(|s| s.offer_text.is_some())
        .map(|s| {
            (
                s,
                siyu_domain::geo::distance_m(lat, lon, s.latitude, s.longitude),
            )
        })
        .filter(|(s, d)| *d <= s.radius_m as f64)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(s, _)| s)
}

/// Enqueues an offer inside the callback's transaction; the dedupe key allows one per fan per
/// China day, so repeated location reports (every 5 seconds while a chat is open) send nothing more.
pub async fn enqueue_offer(
    tx: &mut Tx,
    tenant: &TenantId,
    account_id: &str,
    openid: &str,
    customer: &str,
    store_id: &str,
    now: i64,
) -> Result<(), ApiError> {
    let day = (now + 8 * 3_600_000).div_euclid(86_400_000);
    let key = format!("{customer}:{day}");
    let job = LocationOffer {
        account_id: account_id.to_owned(),
        openid: openid.to_owned(),
        store_id: store_id.to_owned(),
    };
    jobs::enqueue(tx, Some(tenant), &job, Some(&key), now, now).await?;
    Ok(())
}

/// The job handler: a customer-service text message. A closed 48-hour window (45015) or an
/// unfollowed fan (43004) is final, not retried.
pub async fn send_offer(state: AppState, job: LocationOffer) -> Result<(), String> {
    let account = siyu_store::wechat_accounts::get_for_callback(&state.store, &job.account_id)
        .await
        .map_err(|e| e.to_string())?;
    let tenant = TenantId::parse(&account.tenant_id).map_err(|e| e.to_string())?;
    let s = store::get(&state.store, &tenant, &job.store_id)
        .await
        .map_err(|e| e.to_string())?;
    let Some(text) = s.offer_text else {
        return Ok(());
    };
    let client = crate::wechat::client::client_for(&state, &account).map_err(|e| e.to_string())?;
    let msg = siyu_wechat::client::CustomMessage::text(&job.openid, text);
    match client.send_custom_message(&msg).await {
        Ok(()) => Ok(()),
        Err(e) if matches!(e.errcode(), Some(45015 | 43004 | 40003)) => {
            tracing::info!(wechat.account = %account.id, errcode = ?e.errcode(), "location offer not deliverable; not retried");
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}
