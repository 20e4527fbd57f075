//! `/api/v1/stores`: physical stores with a geofence and an offer.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;
use crate::stores::{self, NewStore};

/// A store.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreView {
    /// Store id (`sr_…`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
    /// Geofence radius, metres.
    pub radius_m: i64,
    /// The offer for fans nearby.
    pub offer_text: Option<String>,
}

impl From<siyu_store::stores::StoreRow> for StoreView {
    fn from(s: siyu_store::stores::StoreRow) -> Self {
        StoreView {
            id: s.id,
            name: s.name,
            latitude: s.latitude,
            longitude: s.longitude,
            radius_m: s.radius_m,
            offer_text: s.offer_text,
        }
    }
}

/// Stores.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreList {
    /// Oldest first.
    pub items: Vec<StoreView>,
}

/// Creates a store.
#[utoipa::path(post, path = "/api/v1/stores", tag = "stores", request_body = NewStore,
    responses((status = 201, body = StoreView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_store(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<NewStore>,
) -> Result<(StatusCode, Json<StoreView>), ApiError> {
    let s = stores::create(&state, &caller.tenant_id, body, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(s.into())))
}

/// The tenant's stores.
#[utoipa::path(get, path = "/api/v1/stores", tag = "stores",
    responses((status = 200, body = StoreList), (status = 401, body = ErrorBody)))]
pub async fn list_stores(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<StoreList>, ApiError> {
    let items = siyu_store::stores::list(&state.store, &caller.tenant_id).await?;
    Ok(Json(StoreList {
        items: items.into_iter().map(StoreView::from).collect(),
    }))
}
