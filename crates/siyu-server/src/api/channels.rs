//! `/api/v1/channels`: touchpoints with their QR codes and what they brought.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::ApiCaller;
use crate::channels::{self, qr, NewChannel};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;

/// A channel as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelView {
    /// Channel id (`ch_…`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Touchpoint kind.
    pub kind: String,
    /// The scene WeChat sends back: `EventKey` is `qrscene_{scene}` on follow and `{scene}` on scan.
    pub scene: String,
    /// The QR code's content (what `qr.png` encodes).
    pub qr_url: String,
    /// The Official Account.
    pub account_id: String,
    /// Cost in fen.
    pub cost_fen: Option<i64>,
    /// Expiry of a temporary code, Unix ms.
    pub expires_at: Option<i64>,
    /// Creation time, Unix ms.
    pub created_at: i64,
}

impl From<siyu_store::channels::Channel> for ChannelView {
    fn from(c: siyu_store::channels::Channel) -> Self {
        ChannelView {
            id: c.id,
            name: c.name,
            kind: c.kind,
            scene: c.scene,
            qr_url: c.qr_url,
            account_id: c.account_id,
            cost_fen: c.cost_fen,
            expires_at: c.expires_at,
            created_at: c.created_at,
        }
    }
}

/// A list of channels.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelList {
    /// Newest first.
    pub items: Vec<ChannelView>,
}

/// What a channel did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelStats {
    /// Scans of its code (follows through it and scans by existing followers).
    pub scans: i64,
    /// Follows through its code.
    pub new_follows: i64,
    /// Fans it brought first who have since unfollowed.
    pub unfollows: i64,
    /// Follows at least 7 days old not undone within 7 days.
    pub retained_7d: i64,
    /// Follows at least 30 days old not undone within 30 days.
    pub retained_30d: i64,
    /// Fans it brought first who still follow and interacted in the last 30 days.
    pub active: i64,
    /// Cost per fan still following from this channel, in fen (when a cost is set).
    pub cost_per_retained_fan_fen: Option<i64>,
}

/// QR image options.
#[derive(Debug, Deserialize, IntoParams)]
pub struct QrQuery {
    /// Pixel size (64–4096, default 512).
    pub size: Option<u32>,
}

async fn load(
    state: &AppState,
    caller: &ApiCaller,
    id: &str,
) -> Result<siyu_store::channels::Channel, ApiError> {
    Ok(siyu_store::channels::get(&state.store, &caller.tenant_id, id).await?)
}

/// Creates a channel and its WeChat QR code.
#[utoipa::path(post, path = "/api/v1/channels", tag = "channels", request_body = NewChannel,
    responses((status = 201, body = ChannelView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 502, body = ErrorBody, description = "wechat_api_error")))]
pub async fn create_channel(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<NewChannel>,
) -> Result<(StatusCode, Json<ChannelView>), ApiError> {
    let c = channels::create(&state, &caller.tenant_id, body, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// The tenant's channels.
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels",
    responses((status = 200, body = ChannelList), (status = 401, body = ErrorBody)))]
pub async fn list_channels(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<ChannelList>, ApiError> {
    let items = siyu_store::channels::list(&state.store, &caller.tenant_id).await?;
    Ok(Json(ChannelList {
        items: items.into_iter().map(ChannelView::from).collect(),
    }))
}

/// One channel.
#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "channels", params(("id" = String, Path, description = "channel id")),
    responses((status = 200, body = ChannelView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_channel(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<ChannelView>, ApiError> {
    Ok(Json(load(&state, &caller, &id).await?.into()))
}

/// Computes a channel's figures now.
pub async fn stats_of(
    state: &AppState,
    tenant: &siyu_domain::TenantId,
    c: &siyu_store::channels::Channel,
) -> Result<ChannelStats, ApiError> {
    let s = siyu_store::channels::stats(&state.store, tenant, c, state.now()).await?;
    let still = s.attributed - s.unfollows;
    Ok(ChannelStats {
        scans: s.scans,
        new_follows: s.new_follows,
        unfollows: s.unfollows,
        retained_7d: s.retained_7d,
        retained_30d: s.retained_30d,
        active: s.active,
        cost_per_retained_fan_fen: c.cost_fen.filter(|_| still > 0).map(|cost| cost / still),
    })
}

/// What the channel brought: scans, follows, unfollows, retention, activity.
#[utoipa::path(get, path = "/api/v1/channels/{id}/stats", tag = "channels", params(("id" = String, Path, description = "channel id")),
    responses((status = 200, body = ChannelStats), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn channel_stats(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<ChannelStats>, ApiError> {
    let c = load(&state, &caller, &id).await?;
    Ok(Json(stats_of(&state, &caller.tenant_id, &c).await?))
}

/// The channel's QR code as a PNG (decodes to `qr_url`).
#[utoipa::path(get, path = "/api/v1/channels/{id}/qr.png", tag = "channels", params(("id" = String, Path, description = "channel id"), QrQuery),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn channel_qr_png(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Query(q): Query<QrQuery>,
) -> Result<Response, ApiError> {
    let c = load(&state, &caller, &id).await?;
    let png = qr::png(&c.qr_url, qr::clamp_size(q.size)?)?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

/// The channel's QR code as an SVG.
#[utoipa::path(get, path = "/api/v1/channels/{id}/qr.svg", tag = "channels", params(("id" = String, Path, description = "channel id")),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn channel_qr_svg(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let c = load(&state, &caller, &id).await?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml")],
        qr::svg(&c.qr_url)?,
    )
        .into_response())
}

/// The channel's welcome message and tags for fans who follow through it.
#[utoipa::path(get, path = "/api/v1/channels/{id}/welcome", tag = "channels", params(("id" = String, Path, description = "channel id")),
    responses((status = 200, body = channels::WelcomeInput), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_welcome(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<channels::WelcomeInput>, ApiError> {
    siyu_store::channels::get(&state.store, &caller.tenant_id, &id).await?;
    let w = siyu_store::channels::welcome(&state.store, &id)
        .await?
        .unwrap_or_default();
    Ok(Json(channels::WelcomeInput {
        welcome_text: w.welcome_text,
        tags: serde_json::from_str(&w.tags).unwrap_or_default(),
    }))
}

/// Sets the channel's own welcome message (instead of the account's) and the tags every fan
/// who follows through it gets.
#[utoipa::path(put, path = "/api/v1/channels/{id}/welcome", tag = "channels", params(("id" = String, Path, description = "channel id")),
    request_body = channels::WelcomeInput,
    responses((status = 200, body = channels::WelcomeInput), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_welcome(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Json(body): Json<channels::WelcomeInput>,
) -> Result<Json<channels::WelcomeInput>, ApiError> {
    Ok(Json(
        channels::set_welcome(&state, &caller.tenant_id, &id, body, &caller.actor()).await?,
    ))
}
