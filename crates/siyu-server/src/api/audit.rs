//! `/api/v1/audit-log`: the tenant's audit trail.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Sequence number.
    pub id: i64,
    /// Who acted (`staff:…`, `api_key:…`, `cli`, `system`).
    pub actor: String,
    /// What was done (`staff.create`, …).
    pub action: String,
    /// What it was done to.
    pub target: Option<String>,
    /// Extra facts as JSON text.
    pub detail: Option<String>,
    /// When, Unix ms.
    pub at: i64,
}

/// A page of audit entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Newest first.
    pub items: Vec<AuditEntry>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next_before: Option<i64>,
}

/// Paging parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Only entries with a smaller id.
    pub before: Option<i64>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// The tenant's audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_audit(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 200"));
    }
    let rows = siyu_store::audit::list(&state.store, &caller.tenant_id, q.before, limit).await?;
    let next_before = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let items = rows
        .into_iter()
        .map(|e| AuditEntry {
            id: e.id,
            actor: e.actor,
            action: e.action,
            target: e.target,
            detail: e.detail,
            at: e.at,
        })
        .collect();
    Ok(Json(AuditPage { items, next_before }))
}
