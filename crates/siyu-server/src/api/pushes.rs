//! `/api/v1/pushes`: content sent to a segment's fans, and what it did.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::pushes::{self, Content, Measures, NewPush};
use crate::state::AppState;

/// A push with its status and measures.
#[derive(Debug, Serialize, ToSchema)]
pub struct PushView {
    /// Id (`pu_…`).
    pub id: String,
    /// `scheduled`, `sending`, `submitted` (mass send accepted, result pending), `sent`,
    /// `failed`, `cancelled`.
    pub status: String,
    /// `mass` (WeChat mass send by tag) or `custom` (one message per fan), once started.
    pub mode: Option<String>,
    /// The segment.
    pub segment_id: Option<String>,
    /// Or the WeChat tag.
    pub wechat_tag_id: Option<i64>,
    /// The Official Account.
    pub account_id: String,
    /// What it says.
    pub content: Content,
    /// When it goes (went) out, Unix ms.
    pub send_at: i64,
    /// Created, Unix ms.
    pub created_at: i64,
    /// Delivered, Unix ms.
    pub delivered_at: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// What it did.
    pub measures: Measures,
}

/// Pushes, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PushList {
    /// Newest first.
    pub items: Vec<PushView>,
    /// Mass sends left this month on the tenant's first account.
    pub mass_remaining: Option<i64>,
}

/// Preview target.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PreviewRequest {
    /// A test fan's OpenID (they must have interacted within 48 hours).
    pub openid: String,
}

/// Builds the view of a push.
pub async fn view_of(
    state: &AppState,
    tenant: &siyu_domain::TenantId,
    p: siyu_store::pushes::Push,
) -> Result<PushView, ApiError> {
    let measures = pushes::measures(state, tenant, &p).await?;
    let content: Content = serde_json::from_str(&p.content).map_err(|_| ApiError::Internal)?;
    Ok(PushView {
        id: p.id,
        status: p.status,
        mode: p.mode,
        segment_id: p.segment_id,
        wechat_tag_id: p.wechat_tag_id,
        account_id: p.account_id,
        content,
        send_at: p.send_at,
        created_at: p.created_at,
        delivered_at: p.delivered_at,
        error: p.error,
        measures,
    })
}

/// Schedules a push to a segment (evaluated when it is sent) or a WeChat tag.
#[utoipa::path(post, path = "/api/v1/pushes", tag = "pushes", request_body = NewPush,
    responses((status = 201, body = PushView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "mass_quota_exhausted"), (status = 422, body = ErrorBody)))]
pub async fn create_push(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<NewPush>,
) -> Result<(StatusCode, Json<PushView>), ApiError> {
    let p = pushes::create(&state, &caller.tenant_id, body, &caller.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(view_of(&state, &caller.tenant_id, p).await?),
    ))
}

/// The tenant's pushes.
#[utoipa::path(get, path = "/api/v1/pushes", tag = "pushes",
    responses((status = 200, body = PushList), (status = 401, body = ErrorBody)))]
pub async fn list_pushes(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<PushList>, ApiError> {
    let mut items = Vec::new();
    for p in siyu_store::pushes::pushes(&state.store, &caller.tenant_id, 100).await? {
        items.push(view_of(&state, &caller.tenant_id, p).await?);
    }
    let accounts = siyu_store::wechat_accounts::list(&state.store, &caller.tenant_id).await?;
    let mass_remaining = match accounts.first() {
        Some(a) => Some(pushes::mass_remaining(&state, &a.id).await?),
        None => None,
    };
    Ok(Json(PushList {
        items,
        mass_remaining,
    }))
}

/// A push's status and measures: audience, delivered, reads, clicks, orders, unfollows against
/// the account's baseline.
#[utoipa::path(get, path = "/api/v1/pushes/{id}", tag = "pushes", params(("id" = String, Path, description = "push id")),
    responses((status = 200, body = PushView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_push(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<PushView>, ApiError> {
    let p = siyu_store::pushes::push(&state.store, &caller.tenant_id, &id).await?;
    Ok(Json(view_of(&state, &caller.tenant_id, p).await?))
}

/// Cancels a push that has not started.
#[utoipa::path(post, path = "/api/v1/pushes/{id}/cancel", tag = "pushes", params(("id" = String, Path, description = "push id")),
    responses((status = 200, body = PushView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "push_already_started")))]
pub async fn cancel_push(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<PushView>, ApiError> {
    let p = pushes::cancel(&state, &caller.tenant_id, &id, &caller.actor()).await?;
    Ok(Json(view_of(&state, &caller.tenant_id, p).await?))
}

/// Sends the push's content to one test fan now (a customer-service message).
#[utoipa::path(post, path = "/api/v1/pushes/{id}/preview", tag = "pushes", params(("id" = String, Path, description = "push id")),
    request_body = PreviewRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn preview_push(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Json(body): Json<PreviewRequest>,
) -> Result<StatusCode, ApiError> {
    let p = siyu_store::pushes::push(&state.store, &caller.tenant_id, &id).await?;
    pushes::preview(&state, &caller.tenant_id, &p, &body.openid).await?;
    Ok(StatusCode::NO_CONTENT)
}
