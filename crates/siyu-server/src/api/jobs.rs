//! `/api/v1/jobs/{id}`: the state of a background job the tenant started.

use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// A background job's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    /// Job id.
    pub id: String,
    /// What it does, e.g. `wechat.sync_followers`.
    pub kind: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The last failure, if any.
    pub last_error: Option<String>,
}

/// One of the tenant's jobs.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", params(("id" = String, Path, description = "job id")),
    responses((status = 200, body = JobView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_job(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    let s = siyu_store::jobs::status_for(&state.store, &caller.tenant_id, &id).await?;
    Ok(Json(JobView {
        id: s.id,
        kind: s.kind,
        state: s.state,
        attempts: s.attempts,
        last_error: s.last_error,
    }))
}
