//! `/api/v1/draws`: fair prize draws.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::draws::{self, Entered, Export, NewCampaign};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// A prize and what is left of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrizeView {
    /// Position (0-based).
    pub index: i64,
    /// Name.
    pub name: String,
    /// Odds in basis points.
    pub odds_bp: i64,
    /// How many existed.
    pub stock: i64,
    /// How many are left.
    pub remaining: i64,
}

/// A campaign.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    /// Campaign id (`dr_…`).
    pub id: String,
    /// Name.
    pub name: String,
    /// `open` or `closed`.
    pub state: String,
    /// `SHA-256(seed)`, hex: published before the first entry.
    pub commitment: String,
    /// The seed, revealed when the campaign closes.
    pub seed: Option<String>,
    /// Entries accepted.
    pub entries: i64,
    /// The prize pool.
    pub prizes: Vec<PrizeView>,
}

async fn view(state: &AppState, c: siyu_store::draws::Campaign) -> Result<CampaignView, ApiError> {
    let prizes = siyu_store::draws::prizes(&state.store, &c.id)
        .await?
        .into_iter()
        .map(|p| PrizeView {
            index: p.idx,
            name: p.name,
            odds_bp: p.odds_bp,
            stock: p.stock,
            remaining: p.remaining,
        })
        .collect();
    Ok(CampaignView {
        id: c.id,
        name: c.name,
        state: c.state,
        commitment: c.commitment,
        seed: c.revealed_seed,
        entries: c.entries,
        prizes,
    })
}

/// Creates a campaign; the response carries the commitment to publish.
#[utoipa::path(post, path = "/api/v1/draws", tag = "draws", request_body = NewCampaign,
    responses((status = 201, body = CampaignView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_draw(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<NewCampaign>,
) -> Result<(StatusCode, Json<CampaignView>), ApiError> {
    let c = draws::create(&state, &caller.tenant_id, body, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(view(&state, c).await?)))
}

/// One campaign with its prizes' remaining stock.
#[utoipa::path(get, path = "/api/v1/draws/{id}", tag = "draws", params(("id" = String, Path, description = "campaign id")),
    responses((status = 200, body = CampaignView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_draw(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    let c = siyu_store::draws::get(&state.store, &caller.tenant_id, &id).await?;
    Ok(Json(view(&state, c).await?))
}

/// Who enters.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    /// The customer (`cu_…`); must follow the Official Account.
    pub customer_id: String,
}

/// Enters a customer: one roll, awarded only while the prize's stock lasts.
#[utoipa::path(post, path = "/api/v1/draws/{id}/entries", tag = "draws", params(("id" = String, Path, description = "campaign id")),
    request_body = NewEntry,
    responses((status = 200, body = Entered), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "draw_not_open, draw_not_eligible, draw_limit_reached"), (status = 422, body = ErrorBody)))]
pub async fn enter_draw(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Json(body): Json<NewEntry>,
) -> Result<Json<Entered>, ApiError> {
    Ok(Json(
        draws::enter(&state, &caller.tenant_id, &id, &body.customer_id).await?,
    ))
}

/// Closes the campaign and reveals its seed.
#[utoipa::path(post, path = "/api/v1/draws/{id}/close", tag = "draws", params(("id" = String, Path, description = "campaign id")),
    responses((status = 200, body = CampaignView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close_draw(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    draws::close(&state, &caller.tenant_id, &id, &caller.actor()).await?;
    let c = siyu_store::draws::get(&state.store, &caller.tenant_id, &id).await?;
    Ok(Json(view(&state, c).await?))
}

/// Everything needed to re-derive every result (`siyu draw verify FILE`).
#[utoipa::path(get, path = "/api/v1/draws/{id}/export", tag = "draws", params(("id" = String, Path, description = "campaign id")),
    responses((status = 200, body = Export), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export_draw(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Export>, ApiError> {
    Ok(Json(draws::export(&state, &caller.tenant_id, &id).await?))
}

/// How the campaign is entered from WeChat (keyword, menu click `DRAW:<id>`) and which prizes
/// are vouchers.
#[utoipa::path(get, path = "/api/v1/draws/{id}/settings", tag = "draws", params(("id" = String, Path, description = "campaign id")),
    responses((status = 200, body = draws::DrawSettings), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_draw_settings(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<draws::DrawSettings>, ApiError> {
    Ok(Json(draws::settings(&state, &caller.tenant_id, &id).await?))
}

/// Sets the keyword and the prizes' voucher templates.
#[utoipa::path(put, path = "/api/v1/draws/{id}/settings", tag = "draws", params(("id" = String, Path, description = "campaign id")),
    request_body = draws::DrawSettings,
    responses((status = 200, body = draws::DrawSettings), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_draw_settings(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Json(body): Json<draws::DrawSettings>,
) -> Result<Json<draws::DrawSettings>, ApiError> {
    Ok(Json(
        draws::set_settings(&state, &caller.tenant_id, &id, body, &caller.actor()).await?,
    ))
}
