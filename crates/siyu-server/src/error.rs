//! One error type for the HTTP layer. The HTTP status and the stable error code of every
//! failure are chosen here and nowhere else.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use siyu_domain::DomainError;
use siyu_store::StoreError;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No credentials, or credentials that are wrong, revoked or expired.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Authenticated, but the role does not allow this.
    #[error("your role does not allow this action")]
    Forbidden,
    /// The form was posted without a valid CSRF token.
    #[error("the form expired or was not sent from siyu; reload the page and try again")]
    CsrfFailed,
    /// The resource does not exist for this tenant.
    #[error("not found")]
    NotFound,
    /// The request collides with existing state.
    #[error("{message}")]
    Conflict {
        /// Stable code, e.g. `login_taken`.
        code: &'static str,
        /// What collided.
        message: String,
    },
    /// The body is not valid JSON (or not a valid form).
    #[error("{0}")]
    InvalidBody(String),
    /// A field has a wrong value.
    #[error("{field}: {message}")]
    Validation {
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A segment query that does not parse or names what does not exist (400).
    #[error("{message}")]
    Segment {
        /// `segment_syntax`, `segment_unknown_name`, `segment_cycle`.
        code: &'static str,
        /// What is wrong and what was expected.
        message: String,
        /// Character position in the query (syntax errors).
        position: Option<usize>,
    },
    /// The body is larger than the configured limit.
    #[error("the request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    /// The request took longer than the configured timeout.
    #[error("the request took too long and was abandoned")]
    Timeout,
    /// Too many attempts; try later.
    #[error("{0}")]
    RateLimited(&'static str),
    /// The database is unreachable.
    #[error("the service is temporarily unavailable")]
    Unavailable,
    /// A WeChat callback that is not authentic or not well-formed; nothing was stored.
    #[error("{0}")]
    WechatRejected(WechatRejection),
    /// WeChat refused or failed an API call siyu made on the merchant's behalf.
    #[error("WeChat refused the request: {0}")]
    Upstream(String),
    /// A bug or an unexpected failure; details are logged, not returned.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::CsrfFailed => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::InvalidBody(_) | ApiError::Segment { .. } => StatusCode::BAD_REQUEST,
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Timeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Upstream(_) => StatusCode::BAD_GATEWAY,
            ApiError::WechatRejected(r) => match r {
                WechatRejection::Malformed => StatusCode::BAD_REQUEST,
                WechatRejection::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::UNAUTHORIZED,
            },
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::CsrfFailed => "csrf_failed",
            ApiError::NotFound => "not_found",
            ApiError::Conflict { code, .. } | ApiError::Segment { code, .. } => code,
            ApiError::InvalidBody(_) => "invalid_body",
            ApiError::Validation { .. } => "validation_failed",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::Timeout => "request_timeout",
            ApiError::RateLimited(_) => "too_many_requests",
            ApiError::Unavailable => "unavailable",
            ApiError::Internal => "internal",
            ApiError::Upstream(_) => "wechat_api_error",
            ApiError::WechatRejected(r) => r.code(),
        }
    }

    /// A validation error on `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(what) => ApiError::Conflict {
                code: if what.contains("login") {
                    "login_taken"
                } else {
                    "conflict"
                },
                message: if what.contains("login") {
                    "this login is already taken; choose another".into()
                } else {
                    "this conflicts with an existing record".into()
                },
            },
            StoreError::Database(e) => {
                tracing::error!(error = %e, "database failure");
                ApiError::Unavailable
            }
            StoreError::Schema(m) | StoreError::Corrupt(m) => {
                tracing::error!(error = %m, "storage failure");
                ApiError::Internal
            }
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ApiError::invalid(e.field, e.message)
    }
}

/// Why a WeChat callback was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WechatRejection {
    /// `signature` or `msg_signature` does not match the account's Token.
    Signature,
    /// `timestamp` is too far from now (a replay).
    Timestamp,
    /// The encrypted message names another AppID.
    AppId,
    /// Plaintext to a safe-mode account, or ciphertext to a plain-mode one.
    Mode,
    /// The XML or ciphertext is malformed.
    Malformed,
    /// The body exceeds the size limit.
    TooLarge,
}

impl WechatRejection {
    /// The stable error code, also the `reason` label in `/metrics`.
    pub fn code(self) -> &'static str {
        match self {
            WechatRejection::Signature => "wechat_bad_signature",
            WechatRejection::Timestamp => "wechat_stale_timestamp",
            WechatRejection::AppId => "wechat_wrong_appid",
            WechatRejection::Mode => "wechat_wrong_mode",
            WechatRejection::Malformed => "wechat_malformed",
            WechatRejection::TooLarge => "wechat_too_large",
        }
    }
}

impl std::fmt::Display for WechatRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WechatRejection::Signature => {
                "the WeChat signature does not match this account's Token"
            }
            WechatRejection::Timestamp => "the WeChat timestamp is outside the allowed window",
            WechatRejection::AppId => "the message was encrypted for another AppID",
            WechatRejection::Mode => "the message's encryption does not match the account's mode",
            WechatRejection::Malformed => "the WeChat message is malformed",
            WechatRejection::TooLarge => "the WeChat message is too large",
        })
    }
}

/// The JSON error body: `{"error":{"code":…,"message":…}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Code and message of an error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code.
    pub code: String,
    /// A message a person can act on.
    pub message: String,
    /// The offending field, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Character position in the input, for segment syntax errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let field = match &self {
            ApiError::Validation { field, .. } => Some(field.clone()),
            _ => None,
        };
        let position = match &self {
            ApiError::Segment { position, .. } => *position,
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.to_string(),
                field,
                position,
            },
        };
        let mut resp = (self.status(), axum::Json(body)).into_response();
        resp.extensions_mut().insert(ErrorCode(self.code()));
        resp
    }
}

/// Marks a response as an error with this code, so middleware can count errors by code.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_status_and_code() {
        let cases = [
            (ApiError::Unauthorized("x"), 401, "unauthorized"),
            (ApiError::Forbidden, 403, "forbidden"),
            (ApiError::CsrfFailed, 403, "csrf_failed"),
            (ApiError::NotFound, 404, "not_found"),
            (
                ApiError::Conflict {
                    code: "login_taken",
                    message: String::new(),
                },
                409,
                "login_taken",
            ),
            (ApiError::InvalidBody("x".into()), 400, "invalid_body"),
            (ApiError::invalid("f", "m"), 422, "validation_failed"),
            (ApiError::PayloadTooLarge(1), 413, "payload_too_large"),
            (ApiError::Timeout, 408, "request_timeout"),
            (ApiError::RateLimited("x"), 429, "too_many_requests"),
            (ApiError::Unavailable, 503, "unavailable"),
            (ApiError::Internal, 500, "internal"),
            (ApiError::Upstream("x".into()), 502, "wechat_api_error"),
            (
                ApiError::WechatRejected(WechatRejection::Signature),
                401,
                "wechat_bad_signature",
            ),
            (
                ApiError::WechatRejected(WechatRejection::Timestamp),
                401,
                "wechat_stale_timestamp",
            ),
            (
                ApiError::WechatRejected(WechatRejection::AppId),
                401,
                "wechat_wrong_appid",
            ),
            (
                ApiError::WechatRejected(WechatRejection::Mode),
                401,
                "wechat_wrong_mode",
            ),
            (
                ApiError::WechatRejected(WechatRejection::Malformed),
                400,
                "wechat_malformed",
            ),
            (
                ApiError::WechatRejected(WechatRejection::TooLarge),
                413,
                "wechat_too_large",
            ),
        ];
        for (e, status, code) in cases {
            assert_eq!(e.status().as_u16(), status, "{e:?}");
            assert_eq!(e.code(), code);
        }
    }

    #[test]
    fn store_errors_map_at_the_boundary() {
        assert!(matches!(
            ApiError::from(StoreError::NotFound),
            ApiError::NotFound
        ));
        let e = ApiError::from(StoreError::Conflict("staff_login_key".into()));
        assert_eq!(e.code(), "login_taken");
    }
}
