//! Who is calling: API keys for the REST API. The tenant comes only from here, never from the
//! request body or path.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use siyu_domain::{ApiKeyId, TenantId};
use siyu_store::api_keys::KeyRejection;

use crate::error::ApiError;
use crate::services::Actor;
use crate::state::AppState;

/// An API caller authenticated by `Authorization: Bearer <api_key>`.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    /// The tenant the key belongs to; every query filters by it.
    pub tenant_id: TenantId,
    /// The key used.
    pub key_id: ApiKeyId,
}

impl ApiCaller {
    /// The actor recorded in the audit log.
    pub fn actor(&self) -> Actor {
        Actor::ApiKey(self.key_id.clone())
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .ok_or(ApiError::Unauthorized(
                "missing API key: send Authorization: Bearer <api_key>",
            ))?;
        let key = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or(ApiError::Unauthorized(
                "the Authorization header must be `Bearer <api_key>`",
            ))?;
        match siyu_store::api_keys::authenticate(&state.store, key, state.now()).await? {
            Ok(k) => Ok(ApiCaller {
                tenant_id: k.tenant_id,
                key_id: k.id,
            }),
            Err(KeyRejection::Unknown) => Err(ApiError::Unauthorized("the API key is not valid")),
            Err(KeyRejection::Revoked) => {
                Err(ApiError::Unauthorized("the API key has been revoked"))
            }
            Err(KeyRejection::Expired) => Err(ApiError::Unauthorized("the API key has expired")),
        }
    }
}
