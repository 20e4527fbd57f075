//! `/api/v1/staff`: the tenant's staff accounts.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use siyu_domain::{Role, StaffId};
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::services;
use crate::state::AppState;

/// A staff account as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffView {
    /// Staff id (`st_…`).
    pub id: String,
    /// Login name.
    pub login: String,
    /// `owner`, `operator` or `clerk`.
    pub role: String,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Whether the account is disabled.
    pub disabled: bool,
}

impl From<siyu_store::staff::Staff> for StaffView {
    fn from(s: siyu_store::staff::Staff) -> Self {
        StaffView {
            id: s.id.to_string(),
            login: s.login,
            role: s.role.as_str().to_owned(),
            created_at: s.created_at,
            disabled: s.disabled_at.is_some(),
        }
    }
}

/// A list of staff accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffList {
    /// The accounts, oldest first.
    pub items: Vec<StaffView>,
}

/// A new staff account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStaff {
    /// Login name, unique across the platform (3–64 of a-z 0-9 . _ - @).
    pub login: String,
    /// `owner`, `operator` or `clerk`.
    pub role: String,
    /// Initial password (at least 8 characters).
    pub password: String,
}

pub(crate) fn parse_staff_id(id: &str) -> Result<StaffId, ApiError> {
    // A malformed id cannot name anything this tenant owns.
    StaffId::parse(id).map_err(|_| ApiError::NotFound)
}

/// The tenant's staff accounts.
#[utoipa::path(get, path = "/api/v1/staff", tag = "staff",
    responses((status = 200, body = StaffList), (status = 401, body = ErrorBody)))]
pub async fn list_staff(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<StaffList>, ApiError> {
    let items = siyu_store::staff::list(&state.store, &caller.tenant_id).await?;
    Ok(Json(StaffList {
        items: items.into_iter().map(StaffView::from).collect(),
    }))
}

/// Creates a staff account in the tenant.
#[utoipa::path(post, path = "/api/v1/staff", tag = "staff", request_body = CreateStaff,
    responses((status = 201, body = StaffView), (status = 401, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "login_taken"), (status = 422, body = ErrorBody)))]
pub async fn create_staff(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<CreateStaff>,
) -> Result<(StatusCode, Json<StaffView>), ApiError> {
    let role = Role::parse(&body.role)?;
    if !role.is_tenant_role() {
        return Err(ApiError::invalid("role", "use owner, operator or clerk"));
    }
    let id = services::create_staff(
        &state.store,
        Some(&caller.tenant_id),
        &body.login,
        role,
        &body.password,
        &caller.actor(),
        state.now(),
    )
    .await?;
    let s = siyu_store::staff::get(&state.store, &caller.tenant_id, &id).await?;
    Ok((StatusCode::CREATED, Json(s.into())))
}

/// One staff account of the tenant.
#[utoipa::path(get, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = String, Path, description = "staff id")),
    responses((status = 200, body = StaffView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_staff(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<StaffView>, ApiError> {
    let s = siyu_store::staff::get(&state.store, &caller.tenant_id, &parse_staff_id(&id)?).await?;
    Ok(Json(s.into()))
}

/// Disables a staff account and signs it out everywhere.
#[utoipa::path(delete, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = String, Path, description = "staff id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn disable_staff(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    services::disable_staff(
        &state.store,
        &caller.tenant_id,
        &parse_staff_id(&id)?,
        &caller.actor(),
        state.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
