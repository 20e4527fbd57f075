//! Building and running the server. `main` and the tests share [`Application::build`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use siyu_domain::{Clock, SystemClock};
use siyu_store::Store;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::console::templates::Templates;
use crate::crypto::Keys;
use crate::error::ApiError;
use crate::jobs::{self, Registry, WorkerOptions};
use crate::state::{AppState, Shared};

/// The shared state for a command that works on the database directly, without serving
/// (`siyu import`): the same keys, graphs and clock a server would use.
pub fn offline_state(store: Store, config: Config) -> Result<AppState, BuildError> {
    state(store, config, Arc::new(SystemClock))
}

/// The state of a node on `store`, with empty caches.
fn state(store: Store, config: Config, clock: Arc<dyn Clock>) -> Result<AppState, BuildError> {
    let keys = Keys::from_secret(&config.secret_key);
    Ok(AppState::new(Shared {
        callbacks: Arc::new(crate::wechat::group::GroupCommit::for_store(&store)),
        store,
        identities: Arc::new(crate::identity::Graphs::new(keys.clone())),
        audiences: Arc::new(crate::audience::Audiences::new()),
        keys,
        config: Arc::new(config),
        clock,
        templates: Arc::new(Templates::load()?),
        responders: Arc::default(),
        callback_accounts: Arc::default(),
    }))
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The database is unreachable or has the wrong schema.
    #[error("{0}")]
    Store(#[from] siyu_store::StoreError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// A template failed to compile (a bug).
    #[error("templates: {0}")]
    Templates(#[from] minijinja::Error),
}

/// Options beyond the configuration file.
pub struct BuildOptions {
    /// Apply pending migrations instead of refusing to start.
    pub migrate: bool,
    /// The job handlers this node runs.
    pub registry: Registry,
    /// The time source.
    pub clock: Arc<dyn Clock>,
    /// Worker tuning.
    pub worker: WorkerOptions,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            migrate: false,
            registry: Registry::standard(),
            clock: Arc::new(SystemClock),
            worker: WorkerOptions::default(),
        }
    }
}

/// A built server, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    router: Router,
    registry: Registry,
    worker: WorkerOptions,
}

/// Connects to the configured database and checks (or applies) its schema.
pub async fn open_store(config: &Config, migrate: bool) -> Result<Store, siyu_store::StoreError> {
    if let Some(path) = config.database_url.expose().strip_prefix("sqlite:") {
        // The embedded default keeps its file under the data directory; create that directory.
        let path = path.trim_start_matches("//");
        if let Some(dir) = std::path::Path::new(path.split('?').next().unwrap_or(path)).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    siyu_store::StoreError::Schema(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
    }
    let store = Store::connect(config.database_url.expose(), config.db_max_connections).await?;
    if migrate {
        store.migrate().await?;
    } else {
        store.ensure_current().await?;
    }
    Ok(store)
}

impl Application {
    /// Opens the database, checks its schema, and binds the listener.
    pub async fn build(config: Config, opts: BuildOptions) -> Result<Application, BuildError> {
        let store = open_store(&config, opts.migrate).await?;
        // Install the recorder before the first request so no count is lost.
        crate::metrics::handle();
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| BuildError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let mut config = config;
        // With port 0 the OS picks the port; printed links must show the real one.
        if let Ok(addr) = listener.local_addr() {
            config.listen = addr;
        }
        let state = state(store, config, opts.clock)?;
        let router = router(state.clone());
        Ok(Application {
            listener,
            state,
            router,
            registry: opts.registry,
            worker: opts.worker,
        })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.state.config.listen)
    }

    /// The shared state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests and the job in hand.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let worker = self.state.config.run_jobs.then(|| {
            tokio::spawn(jobs::run_worker(
                self.state.clone(),
                self.registry.clone(),
                self.worker.clone(),
                stop_rx,
            ))
        });
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing in-flight requests");
            let _ = stop_tx.send(true);
        })
        .await;
        if let Some(w) = worker {
            let _ = w.await;
        }
        self.state.store.close().await;
        served
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = crate::api::router().split_for_parts();
    let openapi = Arc::new(openapi.to_pretty_json().unwrap_or_default());
    Router::new()
        .merge(api)
        .merge(crate::console::router(state.clone()))
        .merge(crate::wechat::router())
        .route("/", get(|| async { Redirect::to("/console") }))
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = openapi.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        doc.as_str().to_owned(),
                    )
                }
            }),
        )
        .route(
            "/assets/htmx.min.js",
            get(|| asset("text/javascript", include_str!("../assets/htmx.min.js"))),
        )
        .route(
            "/assets/app.css",
            get(|| asset("text/css", include_str!("../assets/app.css"))),
        )
        .route(
            "/assets/jsQR.js",
            get(|| asset("text/javascript", include_str!("../assets/jsQR.js"))),
        )
        .route(
            "/assets/scan.js",
            get(|| asset("text/javascript", include_str!("../assets/scan.js"))),
        )
        .route(
            "/assets/echarts.min.js",
            get(|| asset("text/javascript", include_str!("../assets/echarts.min.js"))),
        )
        .fallback(|| async { ApiError::NotFound })
        .layer(DefaultBodyLimit::max(state.config.body_limit_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), timeout))
        .layer(middleware::from_fn(crate::metrics::track))
        .with_state(state)
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// Abandons requests (including slow uploads) that take longer than the configured timeout.
async fn timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = Duration::from_secs(state.config.request_timeout_secs);
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::Timeout.into_response(),
    }
}
