//! The Official Account side of siyu: accounts configured per tenant and the callback
//! endpoint `/wechat/{account}` that WeChat calls for every message and event.

pub mod accounts;
mod callback;
pub mod client;
mod effects;
mod fans;
pub mod group;
pub mod menu;
pub mod replies;
pub mod sync;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// WeChat's messages are small; anything beyond this is refused before parsing.
pub const MAX_CALLBACK_BYTES: usize = 64 * 1024;

/// The callback routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/wechat/{account}",
            get(callback::verify).post(callback::receive),
        )
        .layer(DefaultBodyLimit::max(MAX_CALLBACK_BYTES))
}
