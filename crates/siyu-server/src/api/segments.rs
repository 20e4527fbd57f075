//! `/api/v1/segments`: who a push is for, in the segment language.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audience::segments;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// A query to evaluate.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EvaluateRequest {
    /// The segment as text (`tag("咖啡控") and active(within 7d)`) or as its JSON tree.
    #[schema(value_type = Object)]
    pub query: serde_json::Value,
    /// Also list the members' customer ids.
    #[serde(default)]
    pub members: bool,
}

/// How many live profiles a query selects.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluateResponse {
    /// Live profiles in the segment.
    pub count: u64,
    /// Their customer ids (when `members` was asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_ids: Option<Vec<String>>,
    /// The query in its canonical text form.
    pub query: String,
    /// Names in the query nobody has (e.g. `tag "茶控"`, `channel "poster-9"`): they match no
    /// one. Absent when every name is known.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_names: Vec<String>,
}

/// A segment to save.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SegmentInput {
    /// Name, unique per tenant (used by `segment("…")` in other queries).
    pub name: String,
    /// The query, as text or JSON tree.
    #[schema(value_type = Object)]
    pub query: serde_json::Value,
}

/// A saved segment.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentView {
    /// Id (`sg_…`).
    pub id: String,
    /// Name.
    pub name: String,
    /// The query in canonical text form.
    pub query: String,
    /// Its JSON tree.
    #[schema(value_type = Object)]
    pub tree: serde_json::Value,
    /// Members now.
    pub count: u64,
    /// Created, Unix ms.
    pub created_at: i64,
    /// Changed, Unix ms.
    pub updated_at: i64,
}

/// Saved segments.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentList {
    /// By name.
    pub items: Vec<SegmentView>,
}

fn view(s: siyu_store::pushes::Segment, count: u64) -> SegmentView {
    let tree = siyu_domain::segment::parse(&s.query)
        .map(|e| siyu_domain::segment::to_json(&e))
        .unwrap_or(serde_json::Value::Null);
    SegmentView {
        id: s.id,
        name: s.name,
        query: s.query,
        tree,
        count,
        created_at: s.created_at,
        updated_at: s.updated_at,
    }
}

/// Counts (and optionally lists) the live profiles a query selects, evaluated in memory.
#[utoipa::path(post, path = "/api/v1/segments/evaluate", tag = "segments", request_body = EvaluateRequest,
    responses((status = 200, body = EvaluateResponse),
              (status = 400, body = ErrorBody, description = "segment_syntax (with position), segment_unknown_name (a saved segment that does not exist), segment_cycle"),
              (status = 401, body = ErrorBody)))]
pub async fn evaluate_segment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<EvaluateRequest>,
) -> Result<Json<EvaluateResponse>, ApiError> {
    let e = segments::evaluate(&state, &caller.tenant_id, &body.query, body.members).await?;
    Ok(Json(EvaluateResponse {
        count: e.count,
        customer_ids: e.members,
        query: e.query,
        unknown_names: e.unknown,
    }))
}

/// Saves a segment.
#[utoipa::path(post, path = "/api/v1/segments", tag = "segments", request_body = SegmentInput,
    responses((status = 201, body = SegmentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "segment_name_taken"), (status = 422, body = ErrorBody)))]
pub async fn create_segment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<SegmentInput>,
) -> Result<(StatusCode, Json<SegmentView>), ApiError> {
    let (s, e) = segments::create(
        &state,
        &caller.tenant_id,
        &body.name,
        &body.query,
        &caller.actor(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view(s, e.count))))
}

/// The tenant's saved segments with their member counts now.
#[utoipa::path(get, path = "/api/v1/segments", tag = "segments",
    responses((status = 200, body = SegmentList), (status = 401, body = ErrorBody)))]
pub async fn list_segments(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<SegmentList>, ApiError> {
    let mut items = Vec::new();
    for s in siyu_store::pushes::segments(&state.store, &caller.tenant_id).await? {
        let count = segments::count_of(&state, &caller.tenant_id, &s)
            .await
            .unwrap_or(0);
        items.push(view(s, count));
    }
    Ok(Json(SegmentList { items }))
}

/// One saved segment.
#[utoipa::path(get, path = "/api/v1/segments/{id}", tag = "segments", params(("id" = String, Path, description = "segment id")),
    responses((status = 200, body = SegmentView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_segment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<SegmentView>, ApiError> {
    let s = siyu_store::pushes::segment(&state.store, &caller.tenant_id, &id).await?;
    let count = segments::count_of(&state, &caller.tenant_id, &s).await?;
    Ok(Json(view(s, count)))
}

/// Changes a saved segment.
#[utoipa::path(put, path = "/api/v1/segments/{id}", tag = "segments", params(("id" = String, Path, description = "segment id")),
    request_body = SegmentInput,
    responses((status = 200, body = SegmentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_segment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Json(body): Json<SegmentInput>,
) -> Result<Json<SegmentView>, ApiError> {
    let (s, e) = segments::update(
        &state,
        &caller.tenant_id,
        &id,
        &body.name,
        &body.query,
        &caller.actor(),
    )
    .await?;
    Ok(Json(view(s, e.count)))
}

/// The segment's members now, as CSV.
#[utoipa::path(get, path = "/api/v1/segments/{id}/members.csv", tag = "segments", params(("id" = String, Path, description = "segment id")),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn segment_members_csv(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let s = siyu_store::pushes::segment(&state.store, &caller.tenant_id, &id).await?;
    let csv = segments::members_csv(&state, &caller.tenant_id, &s).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"segment-{}.csv\"", s.id),
            ),
        ],
        csv,
    )
        .into_response())
}

/// Vouchers for a segment's members.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SegmentVouchers {
    /// The voucher template.
    pub template_id: String,
}

/// How many vouchers were queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct Queued {
    /// Members who will get one (members who already got one from this segment and template
    /// are not counted again).
    pub queued: u64,
}

/// Issues a voucher to every member of the segment now (each member once per template).
#[utoipa::path(post, path = "/api/v1/segments/{id}/vouchers", tag = "segments", params(("id" = String, Path, description = "segment id")),
    request_body = SegmentVouchers,
    responses((status = 202, body = Queued), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn segment_vouchers(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Json(body): Json<SegmentVouchers>,
) -> Result<(StatusCode, Json<Queued>), ApiError> {
    let queued = crate::vouchers::issue_to_segment(
        &state,
        &caller.tenant_id,
        &id,
        &body.template_id,
        &caller.actor(),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { queued })))
}
