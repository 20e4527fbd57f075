//! Request extractors whose failures speak the API's error model.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// Like `axum::Json`, but malformed JSON, wrong types and oversized bodies become [`ApiError`]s.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(rej) => Err(json_rejection(rej, state.config.body_limit_bytes)),
        }
    }
}

fn json_rejection(rej: JsonRejection, limit: usize) -> ApiError {
    if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::PayloadTooLarge(limit);
    }
    match rej {
        JsonRejection::JsonDataError(e) => {
            // serde's message names the field and the expected type.
            ApiError::Validation {
                field: "body".into(),
                message: e
                    .body_text()
                    .trim_start_matches(
                        "Failed to deserialize the JSON body into the target type: ",
                    )
                    .to_owned(),
            }
        }
        JsonRejection::MissingJsonContentType(_) => ApiError::InvalidBody(
            "send the body as JSON with Content-Type: application/json".into(),
        ),
        other => {
            ApiError::InvalidBody(format!("the body is not valid JSON: {}", other.body_text()))
        }
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// Like `axum::extract::Query`, but a bad query string is a `validation_failed` error.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + Send> axum::extract::FromRequestParts<AppState> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &AppState,
    ) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(q)
            .map(Query)
            .map_err(|e| ApiError::invalid("query", e.to_string()))
    }
}
