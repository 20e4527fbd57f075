//! `siyu bench wechat-callback`: signed safe-mode callbacks (decrypt, parse, dedupe, durable
//! append, encrypted reply) from a load generator on loopback, against siyu on SQLite and on
//! PostgreSQL and against a bare axum handler measured in the same run.
//!
//! Every request is encrypted and signed before the clock starts, so the figures are the
//! server's, not the load generator's crypto. Server and load generator share one process and
//! one runtime, as they share the machine: the bare handler pays the same client costs.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::{json, Value};
use siyu_server::services::{self, Actor};
use siyu_server::state::AppState;
use siyu_server::{Application, BuildOptions, Config};
use siyu_store::Store;
use siyu_wechat::signature::{msg_signature, url_signature};
use siyu_wechat::{CallbackQuery, PassiveReply, Reply, WechatCrypto};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const APP_ID: &str = "wx5b1e0c2d3f4a6978";
const TOKEN: &str = "siyuBenchToken2026";
const AES_KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
const GH_ID: &str = "gh_5b1e0c2d3f4a";
const WELCOME: &str = "欢迎关注私域基准 ☕";
/// One delivery in this many is a subscribe from a new fan; the rest are texts.
const SUBSCRIBE_EVERY: usize = 10;
/// How long the paced run lasts at most.
const PACED_SECS: u32 = 5;
/// Requests sent one at a time to time a single callback without queueing.
const SERIAL: usize = 1_000;

/// What to run: `--requests`, `--concurrency`, `--rate`.
pub struct Options {
    /// Requests in the closed-loop run.
    pub requests: u32,
    /// Concurrent connections, each with one request in flight.
    pub concurrency: u32,
    /// Requests per second for the paced latency run.
    pub rate: u32,
}

/// Runs the bench: bare handler, siyu on SQLite, siyu on PostgreSQL; prints the JSON last.
pub async fn run(o: Options) -> Result<(), String> {
    if o.requests == 0 || o.concurrency == 0 || o.rate == 0 {
        return Err("--requests, --concurrency and --rate must be at least 1".into());
    }
    crypto()?;
    let bare = bench_bare(&o).await.map_err(|e| format!("bare: {e}"))?;
    report("bare", &bare);
    let dir = std::env::temp_dir().join(format!("siyu-bench-wechat-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let url = format!("sqlite:{}", dir.join("bench.db").display());
    let sqlite = bench_siyu(&url, &dir, &o).await;
    let _ = std::fs::remove_dir_all(&dir);
    let sqlite = sqlite.map_err(|e| format!("sqlite: {e}"))?;
    report("sqlite", &sqlite);
    let pg = super::ScratchPg::create("wechat").await?;
    let postgres = bench_siyu(&pg.url, &std::env::temp_dir(), &o).await;
    pg.drop().await?;
    let postgres = postgres.map_err(|e| format!("postgres: {e}"))?;
    report("postgres", &postgres);
    println!("{}", figures_json(&o, &bare, &sqlite, &postgres));
    Ok(())
}

mod deliveries;
mod load;
mod report;

use deliveries::*;
use load::*;
use report::*;

// ---------------------------------------------------------------------------------------
// Targets.

/// A server under test, serving in a task until stopped.
struct Server {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), String>>,
}

impl Server {
    async fn stop(self) -> Result<(), String> {
        let _ = self.stop.send(());
        self.task.await.map_err(|e| e.to_string())?
    }
}

async fn bare_handler(_body: Bytes) -> &'static str {
    "success"
}

async fn start_bare() -> Result<Server, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let router = axum::Router::new().route("/wechat/{account}", axum::routing::post(bare_handler));
    let (stop, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
            .map_err(|e| e.to_string())
    });
    Ok(Server { addr, stop, task })
}

/// Sizes of the runs derived from the options.
struct Sizes {
    warmup: usize,
    closed: usize,
    serial: usize,
    paced: usize,
}

impl Sizes {
    fn of(o: &Options) -> Sizes {
        let closed = o.requests as usize;
        Sizes {
            warmup: (closed / 10).clamp(1, 1_000),
            closed,
            serial: closed.min(SERIAL),
            paced: closed.min(o.rate.saturating_mul(PACED_SECS) as usize),
        }
    }
}

async fn bench_bare(o: &Options) -> Result<Figures, String> {
    let server = start_bare().await?;
    let target = Target {
        addr: server.addr,
        path: "/wechat/wa_bare",
        concurrency: o.concurrency as usize,
        check_replies: false,
    };
    let s = Sizes::of(o);
    let r = match target.closed("warm-up", &plan(s.warmup, 1)).await {
        Ok(_) => runs(&target, &s, o.rate).await,
        Err(e) => Err(e),
    };
    server.stop().await?;
    r
}

/// Closed loop, one at a time, paced; against siyu also each replayed as WeChat's retries
/// (answered from the dedupe record). Plan tags keep each run's deliveries distinct.
async fn runs(t: &Target<'_>, s: &Sizes, rate: u32) -> Result<Figures, String> {
    let retries = t.check_replies;
    let closed_plan = plan(s.closed, 2);
    let closed = t.closed("closed", &closed_plan).await?;
    let retry = match retries {
        true => Some(t.closed("retry", &closed_plan).await?),
        false => None,
    };
    let serial_plan = plan(s.serial, 3);
    let serial = t.serial("serial", &serial_plan).await?;
    let serial_retry = match retries {
        true => Some(t.serial("serial retry", &serial_plan).await?),
        false => None,
    };
    let paced = t.paced("paced", &plan(s.paced, 4), rate).await?;
    Ok(Figures {
        closed,
        paced,
        serial,
        retry,
        serial_retry,
        phases: None,
        durable: None,
    })
}

/// siyu serving one tenant with one safe-mode account.
struct Siyu {
    server: Server,
    state: AppState,
    account: String,
    path: String,
}

async fn start_siyu(database_url: &str, data_dir: &Path) -> Result<Siyu, String> {
    let mut env: HashMap<&str, String> = HashMap::from([
        ("SIYU_DATABASE_URL", database_url.to_owned()),
        ("SIYU_LISTEN", "127.0.0.1:0".to_owned()),
        (
            "SIYU_SECRET_KEY",
            "siyu-bench-secret-0123456789abcdef0123".to_owned(),
        ),
        ("SIYU_DATA_DIR", data_dir.display().to_string()),
        ("SIYU_RUN_JOBS", "false".to_owned()),
    ]);
    // The one server setting worth varying between runs (it decides where writers queue).
    if let Ok(n) = std::env::var("SIYU_DB_MAX_CONNECTIONS") {
        env.insert("SIYU_DB_MAX_CONNECTIONS", n);
    }
    let config = Config::load_from(None, |k| env.get(k).cloned()).map_err(|e| e.to_string())?;
    let opts = BuildOptions {
        migrate: true,
        ..Default::default()
    };
    let app = Application::build(config, opts)
        .await
        .map_err(|e| e.to_string())?;
    let addr = app.local_addr();
    let state = app.state().clone();
    println!(
        "siyu on {:?} with a pool of {} connections",
        state.store.backend(),
        state.config.db_max_connections
    );
    let (stop, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let stopped = async move {
            let _ = rx.await;
        };
        app.run_until_stopped(stopped)
            .await
            .map_err(|e| e.to_string())
    });
    let server = Server { addr, stop, task };
    match create_account(&state, addr).await {
        Ok((account, path)) => Ok(Siyu {
            server,
            state,
            account,
            path,
        }),
        Err(e) => {
            let _ = server.stop().await;
            Err(e)
        }
    }
}

/// A tenant, then its Official Account through the API: `(account id, callback path)`.
async fn create_account(state: &AppState, addr: SocketAddr) -> Result<(String, String), String> {
    let (_, key) = services::create_tenant(&state.store, "Siyu Bench", &Actor::Cli, state.now())
        .await
        .map_err(|e| e.to_string())?;
    let body = json!({
        "app_id": APP_ID, "app_secret": "0123456789abcdef0123456789abcdef", "token": TOKEN,
        "encoding_aes_key": AES_KEY, "mode": "safe", "welcome_text": WELCOME,
    });
    let mut req = post(
        addr,
        "/api/v1/wechat/accounts",
        "application/json",
        Bytes::from(body.to_string()),
    );
    let bearer = format!("Bearer {}", key.secret);
    req.headers_mut()
        .insert(AUTHORIZATION, bearer.parse().map_err(|_| "bad API key")?);
    let (status, body) = send(&mut connect(addr).await?, req).await?;
    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
    match (status, v["id"].as_str(), v["callback_path"].as_str()) {
        (StatusCode::CREATED, Some(id), Some(path)) => Ok((id.to_owned(), path.to_owned())),
        _ => Err(format!("creating the account: HTTP {status}: {v}")),
    }
}

async fn bench_siyu(url: &str, data_dir: &Path, o: &Options) -> Result<Figures, String> {
    let siyu = start_siyu(url, data_dir).await?;
    let r = siyu_runs(&siyu, o).await;
    let stopped = siyu.server.stop().await;
    let r = r?;
    stopped?;
    Ok(r)
}

async fn siyu_runs(siyu: &Siyu, o: &Options) -> Result<Figures, String> {
    let target = Target {
        addr: siyu.server.addr,
        path: &siyu.path,
        concurrency: o.concurrency as usize,
        check_replies: true,
    };
    let s = Sizes::of(o);
    target.closed("warm-up", &plan(s.warmup, 1)).await?;
    settle(&siyu.state.store).await?;
    let mut figures = runs(&target, &s, o.rate).await?;
    figures.phases = Some(phases(siyu, &plan(s.serial, 3)).await?);
    let rows = siyu_store::inbound::count_for_account(&siyu.state.store, &siyu.account)
        .await
        .map_err(|e| e.to_string())?;
    let sent = s.warmup + s.closed + s.serial + s.paced;
    if rows != sent as i64 {
        return Err(format!(
            "{rows} inbound rows recorded for {sent} distinct deliveries"
        ));
    }
    figures.durable = Some(rows);
    Ok(figures)
}

/// Gives PostgreSQL's planner the statistics autovacuum would have gathered in a running
/// deployment: on a fresh database without them, a prepared statement's generic plan can pick
/// an index that matches only `account_id` and scan the account's whole history.
async fn settle(store: &Store) -> Result<(), String> {
    if store.backend() == siyu_store::Backend::Postgres {
        store
            .execute_raw("ANALYZE")
            .await
            .map_err(|e| e.to_string())?;
        println!("siyu on Postgres: ANALYZE after the warm-up, as autovacuum would");
    }
    Ok(())
}

/// Mean microseconds per callback for the steps the server takes besides its write
/// transaction, timed one at a time in this process against the target's database.
struct Phases {
    lookup_us: f64,
    unseal_us: f64,
    open_us: f64,
    dedupe_read_us: f64,
    seal_us: f64,
}

async fn phases(siyu: &Siyu, deliveries: &[Delivery]) -> Result<Phases, String> {
    let reqs = encode(deliveries, &siyu.path)?;
    let n = reqs.len().max(1) as f64;
    let per = |t: Instant| t.elapsed().as_secs_f64() * 1e6 / n;
    let (store, e) = (&siyu.state.store, |e: siyu_store::StoreError| e.to_string());
    let t = Instant::now();
    let mut account = None;
    for _ in reqs.iter() {
        account = Some(
            siyu_store::wechat_accounts::get_for_callback(store, &siyu.account)
                .await
                .map_err(e)?,
        );
    }
    let lookup_us = per(t);
    let account = account.ok_or("no requests")?;
    let t = Instant::now();
    let mut cb = None;
    for _ in reqs.iter() {
        let made = siyu_server::wechat::accounts::callback_for(&siyu.state, &account);
        cb = Some(made.map_err(|e| e.to_string())?);
    }
    let unseal_us = per(t);
    let cb = cb.ok_or("no requests")?;
    let now = unix_now();
    let t = Instant::now();
    let opened = reqs
        .iter()
        .map(|r| cb.open(&r.query, &r.body, now).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let open_us = per(t);
    let t = Instant::now();
    for m in &opened {
        let key = m.message.dedupe_key();
        siyu_store::inbound::earlier_reply(store, &siyu.account, &key)
            .await
            .map_err(e)?;
    }
    let dedupe_read_us = per(t);
    let t = Instant::now();
    for (m, r) in opened.iter().zip(reqs.iter()) {
        let reply = match r.subscribe {
            true => PassiveReply::Reply(Reply::text(&m.message, now, WELCOME)),
            false => PassiveReply::Success,
        };
        cb.seal(&m.reply, &reply).map_err(|e| e.to_string())?;
    }
    Ok(Phases {
        lookup_us,
        unseal_us,
        open_us,
        dedupe_read_us,
        seal_us: per(t),
    })
}
