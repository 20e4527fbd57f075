//! The HTTP side: the axum router, request reading and [`serve`].

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Query, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use tokio::net::TcpListener;

use crate::admin;
use crate::api::{Part, ReqBody};
use crate::config::FakeConfig;
use crate::state::Shared;

/// Largest accepted request body (above WeChat's 10 MB media limits, so those answer
/// with WeChat's size errcodes rather than a transport error).
pub(crate) const BODY_LIMIT: usize = 32 * 1024 * 1024;

/// The router: `/_fake/*` control endpoints, everything else through the WeChat pipeline.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    admin::routes()
        .fallback(dispatch)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(shared)
}

async fn dispatch(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let path = uri.path().to_owned();
    let query = Query::<HashMap<String, String>>::try_from_uri(&uri)
        .map(|q| q.0)
        .unwrap_or_default();
    if let Some(delay) = shared.latency.get(&path) {
        tokio::time::sleep(*delay).await;
    }
    let body = read_body(req).await;
    let answer = shared.lock().handle(&method, &path, &query, &body);
    Json(answer).into_response()
}

async fn read_body(req: Request) -> ReqBody {
    let multipart = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    if multipart {
        return ReqBody::Multipart(read_parts(req).await);
    }
    ReqBody::Bytes(
        axum::body::to_bytes(req.into_body(), BODY_LIMIT)
            .await
            .unwrap_or_else(|_| Bytes::new()),
    )
}

async fn read_parts(req: Request) -> Option<Vec<Part>> {
    let mut form = Multipart::from_request(req, &()).await.ok()?;
    let mut parts = Vec::new();
    while let Some(field) = form.next_field().await.ok()? {
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(str::to_owned);
        let bytes = field.bytes().await.ok()?;
        parts.push(Part {
            name,
            filename,
            content_type,
            bytes,
        });
    }
    Some(parts)
}

/// Serves a fake WeChat API on `listener` until `shutdown` completes (used by
/// `siyu dev fake-wechat --listen …`). Inspect it over HTTP via `/_fake/*`.
pub async fn serve(
    listener: TcpListener,
    config: FakeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_shared(listener, Arc::new(Shared::new(config)), shutdown).await
}

/// [`serve`] over existing shared state.
pub(crate) async fn serve_shared(
    listener: TcpListener,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "fake WeChat API listening");
    axum::serve(listener, router(shared))
        .with_graceful_shutdown(shutdown)
        .await
}
