//! `GET /wechat/{account}` (URL verification) and `POST /wechat/{account}` (messages and
//! events): verify, decrypt, parse, deduplicate, record durably, reply.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use siyu_wechat::{CallbackQuery, WechatError};

use crate::error::{ApiError, WechatRejection};
use crate::state::AppState;

fn reject(r: WechatRejection) -> ApiError {
    metrics::counter!("siyu_wechat_rejected_total", "reason" => r.code()).increment(1);
    ApiError::WechatRejected(r)
}

/// Maps a protocol error to the reason it is refused with.
pub(super) fn rejection(e: &WechatError) -> Option<WechatRejection> {
    Some(match e {
        WechatError::InvalidSignature => WechatRejection::Signature,
        WechatError::TimestampSkew => WechatRejection::Timestamp,
        WechatError::AppIdMismatch => WechatRejection::AppId,
        WechatError::ModeRejected(_) => WechatRejection::Mode,
        WechatError::TooLarge { .. } => WechatRejection::TooLarge,
        e if e.is_bad_request() => WechatRejection::Malformed,
        _ => return None,
    })
}

fn query(raw: Option<String>) -> Result<CallbackQuery, ApiError> {
    serde_urlencoded::from_str(raw.as_deref().unwrap_or_default())
        .map_err(|_| reject(WechatRejection::Signature))
}

async fn account(
    state: &AppState,
    id: &str,
) -> Result<siyu_store::wechat_accounts::Account, ApiError> {
    siyu_store::wechat_accounts::get_for_callback(&state.store, id)
        .await
        .map_err(ApiError::from)
}

/// URL verification: echo `echostr` when the signature holds.
pub(super) async fn verify(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let cached = state.callback_accounts.get(&state, &id).await?;
    let q = query(raw)?;
    let echo = cached
        .callback
        .verify_url(&q)
        .map_err(|_| reject(WechatRejection::Signature))?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        echo.to_owned(),
    )
        .into_response())
}

/// A message or event from WeChat.
pub(super) async fn receive(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let cached = state.callback_accounts.get(&state, &id).await?;
    let q = query(raw)?;
    let cb = &cached.callback;
    let inbound = cb
        .open(&q, &body, state.now() / 1000)
        .map_err(|e| match rejection(&e) {
            Some(r) => reject(r),
            None => {
                tracing::error!(wechat.account = %id, error = %e, "callback failed");
                ApiError::Internal
            }
        })?;
    // Follows, unfollows and scans need only what never changes of the account (the welcome
    // text is read in their transaction). Anything else may consult the auto-replies, whose
    // version is read afresh.
    let a = if super::effects::is_fan_event(&inbound.message) {
        cached.account.clone()
    } else {
        Arc::new(account(&state, &id).await?)
    };
    let reply = super::effects::apply(&state, &a, &inbound).await?;
    let body = cb.seal(&inbound.reply, &reply).map_err(|e| {
        tracing::error!(wechat.account = %a.id, error = %e, "cannot seal reply");
        ApiError::Internal
    })?;
    let content_type = if body == "success" {
        "text/plain; charset=utf-8"
    } else {
        "application/xml; charset=utf-8"
    };
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}
