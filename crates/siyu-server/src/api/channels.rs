//! `/api/v1/channels`: touchpoints with their QR codes and what they brought.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::ApiCaller;
use crate::channels::{self, poster, print, qr, NewChannel};
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
    /// `1` for a centre logo (a white rounded badge with a green mark; the code then uses
    /// error-correction level H instead of M, and still scans).
    pub logo: Option<String>,
}

/// Poster options.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PosterQuery {
    /// Title in the header band (up to 30 characters); defaults to the channel's name.
    pub title: Option<String>,
    /// Line under the code (up to 60 characters); defaults to `扫码关注`.
    pub caption: Option<String>,
    /// Background colour `#rrggbb` (default `#ffffff`); also the title's colour.
    pub bg: Option<String>,
    /// Foreground colour `#rrggbb` (default `#000000`): header band, caption, footer, and the
    /// code's modules when dark enough to scan (black otherwise).
    pub fg: Option<String>,
    /// `0` for a code without the centre logo (default `1`).
    pub logo: Option<String>,
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
    let size = qr::clamp_size(q.size)?;
    let png = if channels::flag("logo", q.logo.as_deref())? {
        qr::png_with_logo(&c.qr_url, size)?
    } else {
        qr::png(&c.qr_url, size)?
    };
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
        voucher_template_id: w.voucher_template_id,
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

fn poster_of(
    c: &siyu_store::channels::Channel,
    q: &PosterQuery,
) -> Result<poster::Poster, ApiError> {
    let logo = match q.logo.as_deref().map(str::trim) {
        None | Some("") => true,
        given => channels::flag("logo", given)?,
    };
    poster::Poster::from_params(
        &c.name,
        q.title.as_deref(),
        q.caption.as_deref(),
        q.bg.as_deref(),
        q.fg.as_deref(),
        logo,
    )
}

/// The channel's poster as SVG (1050 × 1480 units, A6 proportions): a header band with the
/// title, the code with its centre logo on a white card, the caption. The printable poster;
/// its text uses the viewer's Chinese fonts.
#[utoipa::path(get, path = "/api/v1/channels/{id}/poster.svg", tag = "channels", params(("id" = String, Path, description = "channel id"), PosterQuery),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn channel_poster_svg(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Query(q): Query<PosterQuery>,
) -> Result<Response, ApiError> {
    let c = load(&state, &caller, &id).await?;
    let p = poster_of(&c, &q)?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml")],
        poster::svg(&p, &c.qr_url)?,
    )
        .into_response())
}

/// The poster's layout as a 1050 × 1480 PNG **without the title and caption** (siyu draws no
/// text without a font): background, header band, code and logo, footer. Use the SVG to print.
#[utoipa::path(get, path = "/api/v1/channels/{id}/poster.png", tag = "channels", params(("id" = String, Path, description = "channel id"), PosterQuery),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn channel_poster_png(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Query(q): Query<PosterQuery>,
) -> Result<Response, ApiError> {
    let c = load(&state, &caller, &id).await?;
    let p = poster_of(&c, &q)?;
    let png = channels::render(move || poster::png(&p, &c.qr_url)).await?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

/// One code of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchCode {
    /// Channel id (`ch_…`).
    pub id: String,
    /// Its name, `{prefix}{n}`.
    pub name: String,
    /// Its QR scene.
    pub scene: String,
    /// The QR code's content.
    pub qr_url: String,
}

/// A batch of channels.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchView {
    /// Batch id (`cb_…`).
    pub id: String,
    /// A label such as `桌1–桌300`.
    pub name: String,
    /// The kind of its channels.
    pub kind: String,
    /// Codes in the batch.
    pub count: usize,
    /// Codes asked for (more than `count` when WeChat failed midway).
    pub requested: i64,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Its codes in number order.
    pub channels: Vec<BatchCode>,
}

fn batch_view(b: siyu_store::channels::Batch, cs: Vec<siyu_store::channels::Channel>) -> BatchView {
    BatchView {
        id: b.id,
        name: b.name,
        kind: b.kind,
        count: cs.len(),
        requested: b.count,
        created_at: b.created_at,
        channels: cs
            .into_iter()
            .map(|c| BatchCode {
                id: c.id,
                name: c.name,
                scene: c.scene,
                qr_url: c.qr_url,
            })
            .collect(),
    }
}

/// Makes many channels of one kind in one action (e.g. 300 table codes named `桌1`…`桌300`),
/// each with its own WeChat QR code, together in a new batch. If WeChat fails midway the codes
/// made so far stay in the batch and the answer is 502 `wechat_api_error`, whose message says
/// how many were made and names the batch; posting again makes a new batch.
#[utoipa::path(post, path = "/api/v1/channels/batch", tag = "channels", request_body = channels::NewBatch,
    responses((status = 201, body = BatchView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 502, body = ErrorBody, description = "wechat_api_error; the codes made so far stay in the batch")))]
pub async fn create_batch(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<channels::NewBatch>,
) -> Result<(StatusCode, Json<BatchView>), ApiError> {
    let made = channels::create_batch(&state, &caller.tenant_id, body, &caller.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(batch_view(made.batch, made.channels)),
    ))
}

/// A batch and its codes.
#[utoipa::path(get, path = "/api/v1/channel-batches/{id}", tag = "channels", params(("id" = String, Path, description = "batch id")),
    responses((status = 200, body = BatchView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_batch(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<BatchView>, ApiError> {
    let b = siyu_store::channels::get_batch(&state.store, &caller.tenant_id, &id).await?;
    let cs = siyu_store::channels::of_batch(&state.store, &caller.tenant_id, &id).await?;
    Ok(Json(batch_view(b, cs)))
}

/// Batch download options.
#[derive(Debug, Deserialize, IntoParams)]
pub struct BatchZipQuery {
    /// Pixel size of each PNG (64–4096, default 1024).
    pub size: Option<u32>,
}

fn attachment(name: &str) -> String {
    format!("attachment; filename=\"{name}\"")
}

/// The batch's codes as a ZIP of PNGs named `{name}.png` (UTF-8 names), in number order.
#[utoipa::path(get, path = "/api/v1/channel-batches/{id}/codes.zip", tag = "channels", params(("id" = String, Path, description = "batch id"), BatchZipQuery),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn batch_codes_zip(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Query(q): Query<BatchZipQuery>,
) -> Result<Response, ApiError> {
    let size = qr::clamp_size(Some(q.size.unwrap_or(1024)))?;
    let (b, codes) = channels::batch_codes(&state, &caller.tenant_id, &id).await?;
    let at = b.created_at;
    let zip = channels::render(move || print::codes_zip(&codes, size, at)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                attachment(&format!("{}.zip", b.id)),
            ),
        ],
        zip,
    )
        .into_response())
}

/// The batch's codes as one printable PDF: A4 pages of 12 codes (3 × 4) with their names
/// under them and dashed cut lines; codes are vector rectangles.
#[utoipa::path(get, path = "/api/v1/channel-batches/{id}/codes.pdf", tag = "channels", params(("id" = String, Path, description = "batch id")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn batch_codes_pdf(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (b, codes) = channels::batch_codes(&state, &caller.tenant_id, &id).await?;
    let file = format!("{}.pdf", b.id);
    let pdf = channels::render(move || print::codes_pdf(&codes, &b.name)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, attachment(&file)),
        ],
        pdf,
    )
        .into_response())
}
