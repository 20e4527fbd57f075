//! `/_fake/*`: control and inspection over HTTP, for `siyu dev fake-wechat` and for tests
//! written in other languages. Not part of WeChat's API.
//!
//! * `GET /_fake/stats`: call counts, token fetches and record counts.
//! * `POST /_fake/touch {"openid":…,"at":unix_secs?}`: opens the 48 h window.
//! * `POST /_fake/fail_next {"path":…,"errcode":…,"times":1}`: injects failures.
//! * `POST /_fake/expire_tokens`, `POST /_fake/revoke_tokens`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::api::{int_field, ok, str_field};
use crate::handle::{fetch_count, touch};
use crate::state::Shared;

type S = State<Arc<Shared>>;

fn bad_request() -> Json<Value> {
    Json(json!({"errcode": 40097, "errmsg": "invalid args"}))
}

async fn stats(State(s): S) -> Json<Value> {
    let w = s.lock();
    Json(json!({
        "token_fetches": fetch_count(&w),
        "calls": w.calls,
        "followers": w.followers.list.len(),
        "custom_messages": w.records.custom.len(),
        "template_messages": w.records.templates.len(),
        "mass_messages": w.records.mass.len(),
        "qrcodes": w.records.qrcodes.len(),
        "media": w.records.media.len(),
        "tags": w.tags.records(),
        "menu": w.menu,
    }))
}

async fn touch_user(State(s): S, body: Bytes) -> Json<Value> {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return bad_request();
    };
    let Some(openid) = str_field(&v, "openid") else {
        return bad_request();
    };
    let mut w = s.lock();
    let at = int_field(&v, "at").unwrap_or_else(|| w.now_secs());
    touch(&mut w, openid, at);
    Json(ok())
}

async fn fail_next(State(s): S, body: Bytes) -> Json<Value> {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return bad_request();
    };
    let (Some(path), Some(errcode)) = (str_field(&v, "path"), int_field(&v, "errcode")) else {
        return bad_request();
    };
    let times = int_field(&v, "times")
        .and_then(|t| u32::try_from(t).ok())
        .unwrap_or(1);
    s.lock().fail_next(path, errcode, times);
    Json(ok())
}

async fn expire_tokens(State(s): S) -> Json<Value> {
    let mut w = s.lock();
    let now = w.now_ms();
    w.tokens.expire_all(now);
    Json(ok())
}

async fn revoke_tokens(State(s): S) -> Json<Value> {
    s.lock().tokens.revoke_all();
    Json(ok())
}

/// The `/_fake/*` routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_fake/stats", get(stats))
        .route("/_fake/touch", post(touch_user))
        .route("/_fake/fail_next", post(fail_next))
        .route("/_fake/expire_tokens", post(expire_tokens))
        .route("/_fake/revoke_tokens", post(revoke_tokens))
}
