//! `/api/v1/api-keys`: the tenant's API keys.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use siyu_domain::ApiKeyId;
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::services;
use crate::state::AppState;

/// An API key's metadata; the secret is never shown again after creation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    /// Key id (`ak_…`).
    pub id: String,
    /// The merchant's label.
    pub label: String,
    /// The first characters of the key.
    pub prefix: String,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Expiry, Unix ms.
    pub expires_at: Option<i64>,
    /// Revocation time, Unix ms.
    pub revoked_at: Option<i64>,
    /// Last use, Unix ms.
    pub last_used_at: Option<i64>,
}

impl From<siyu_store::api_keys::ApiKey> for ApiKeyView {
    fn from(k: siyu_store::api_keys::ApiKey) -> Self {
        ApiKeyView {
            id: k.id.to_string(),
            label: k.label,
            prefix: k.prefix,
            created_at: k.created_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
            last_used_at: k.last_used_at,
        }
    }
}

/// A list of API keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    /// Newest first.
    pub items: Vec<ApiKeyView>,
}

/// A new API key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// What the key is for (1–100 characters).
    pub label: String,
    /// Optional expiry, Unix ms.
    pub expires_at: Option<i64>,
}

/// The created key; `api_key` is shown only in this response.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// Key id.
    pub id: String,
    /// The secret key: store it now.
    pub api_key: String,
}

/// The tenant's API keys.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys",
    responses((status = 200, body = ApiKeyList), (status = 401, body = ErrorBody)))]
pub async fn list_keys(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<ApiKeyList>, ApiError> {
    let items = siyu_store::api_keys::list(&state.store, &caller.tenant_id).await?;
    Ok(Json(ApiKeyList {
        items: items.into_iter().map(ApiKeyView::from).collect(),
    }))
}

/// Creates an API key.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = CreateApiKey,
    responses((status = 201, body = CreatedApiKey), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<CreateApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    let k = services::create_api_key(
        &state.store,
        &caller.tenant_id,
        &body.label,
        body.expires_at,
        &caller.actor(),
        state.now(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            id: k.id.to_string(),
            api_key: k.secret,
        }),
    ))
}

/// Revokes an API key; it stops working at once on every node.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = String, Path, description = "API key id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = ApiKeyId::parse(&id).map_err(|_| ApiError::NotFound)?;
    services::revoke_api_key(
        &state.store,
        &caller.tenant_id,
        &id,
        &caller.actor(),
        state.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
