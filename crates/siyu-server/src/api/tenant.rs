//! `/api/v1/tenant`: the caller's own tenant.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::services;
use crate::state::AppState;

/// A tenant as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantView {
    /// Tenant id (`tn_…`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Creation time, Unix ms.
    pub created_at: i64,
}

/// Fields of the tenant that may be changed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenant {
    /// New display name (1–100 characters).
    pub name: String,
}

async fn load(state: &AppState, caller: &ApiCaller) -> Result<TenantView, ApiError> {
    let t = siyu_store::tenants::get(&state.store, &caller.tenant_id).await?;
    Ok(TenantView {
        id: t.id.to_string(),
        name: t.name,
        created_at: t.created_at,
    })
}

/// The tenant the API key belongs to.
#[utoipa::path(get, path = "/api/v1/tenant", tag = "tenant",
    responses((status = 200, body = TenantView), (status = 401, body = ErrorBody)))]
pub async fn get_tenant(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<TenantView>, ApiError> {
    Ok(Json(load(&state, &caller).await?))
}

/// Renames the tenant.
#[utoipa::path(patch, path = "/api/v1/tenant", tag = "tenant", request_body = UpdateTenant,
    responses((status = 200, body = TenantView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_tenant(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<UpdateTenant>,
) -> Result<Json<TenantView>, ApiError> {
    services::rename_tenant(
        &state.store,
        &caller.tenant_id,
        &body.name,
        &caller.actor(),
        state.now(),
    )
    .await?;
    Ok(Json(load(&state, &caller).await?))
}
