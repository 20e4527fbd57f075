//! `siyu bench NAME`: measurements that compare against a baseline in the same run. Each
//! bench ends its output with one line of JSON holding its figures.

use std::time::Instant;

use clap::Subcommand;
use serde_json::json;
use siyu_store::{jobs, Store};

#[path = "bench/audience.rs"]
mod audience;
#[path = "bench/channels.rs"]
mod channels;
#[path = "bench/identity.rs"]
mod identity;
#[path = "bench/import.rs"]
mod import;
#[path = "bench/wechat/mod.rs"]
mod wechat;

/// The benches.
#[derive(Subcommand)]
pub enum Bench {
    /// Job queue throughput: enqueue N jobs, drain them with K concurrent workers, on SQLite
    /// (the baseline) and on PostgreSQL.
    Jobs {
        /// Jobs to enqueue.
        #[arg(long, default_value_t = 20_000)]
        jobs: u32,
        /// Concurrent workers draining the queue.
        #[arg(long, default_value_t = 4)]
        workers: u32,
    },
    /// WeChat callbacks: signed safe-mode deliveries against siyu on SQLite and on PostgreSQL
    /// and against a bare axum handler in the same run (throughput ratio, p50/p99 latency).
    WechatCallback {
        /// Requests in the closed-loop throughput run.
        #[arg(long, default_value_t = 20_000)]
        requests: u32,
        /// Concurrent keep-alive connections.
        #[arg(long, default_value_t = 32)]
        concurrency: u32,
        /// Requests per second for the paced latency run (about 5 s).
        #[arg(long, default_value_t = 2_000)]
        rate: u32,
    },
    /// Identity stitching: N identifiers of customers seen on 1–4 channels through one identity
    /// graph (time, peak memory), against connected components by iterative SQL in PostgreSQL
    /// on the same data (time ratio).
    Identity {
        /// Identifiers stitched by the engine in the full-size run.
        #[arg(long, default_value_t = 10_000_000)]
        identifiers: usize,
        /// Identifiers of the comparison: the engine and the SQL baseline stitch the same data.
        #[arg(long, default_value_t = 1_000_000)]
        sql_identifiers: usize,
        /// Seed of the synthetic customers.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Segments: a five-predicate segment with a time window over N synthetic profiles in the
    /// in-memory audience index, against the same query in SQLite and PostgreSQL
    /// (`SIYU_BENCH_POSTGRES_URL`) on the same data, indexed for it.
    Audience {
        /// Synthetic profiles.
        #[arg(long, default_value_t = 10_000_000)]
        profiles: usize,
        /// Generator seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Measure the engine only (no SQL baselines).
        #[arg(long)]
        engine_only: bool,
    },
    /// Imports: a generated Taobao order export of N rows, parsed alone (the baseline) and
    /// imported into profiles on SQLite (and PostgreSQL with `--postgres`), then again.
    Import {
        /// Rows in the generated export.
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
        /// Also import into PostgreSQL (`SIYU_BENCH_POSTGRES_URL`).
        #[arg(long)]
        postgres: bool,
    },
    /// Channel codes rendered locally: N print-size (1024 px) QR PNGs without and with the
    /// centre logo and N SVG posters (the baseline), then one PDF and one ZIP of them.
    Channels {
        /// Codes rendered of each kind.
        #[arg(long, default_value_t = 1000)]
        codes: usize,
        /// Fans following through one code at a live event, attributed end to end on SQLite
        /// (0 skips it).
        #[arg(long, default_value_t = 10_000)]
        scans: usize,
    },
}

/// Runs a bench.
pub async fn run(bench: Bench) -> Result<(), String> {
    match bench {
        Bench::Jobs { jobs, workers } => jobs_bench(jobs, workers).await,
        Bench::WechatCallback {
            requests,
            concurrency,
            rate,
        } => {
            let o = wechat::Options {
                requests,
                concurrency,
                rate,
            };
            wechat::run(o).await
        }
        Bench::Identity {
            identifiers,
            sql_identifiers,
            seed,
        } => {
            let o = identity::Options {
                identifiers,
                sql_identifiers,
                seed,
            };
            identity::run(o).await
        }
        Bench::Import { rows, postgres } => import::run(import::Options { rows, postgres }).await,
        Bench::Channels { codes, scans } => channels::run(channels::Options { codes, scans }).await,
        Bench::Audience {
            profiles,
            seed,
            engine_only,
        } => {
            audience::run(audience::Options {
                profiles,
                seed,
                engine_only,
            })
            .await
        }
    }
}

struct Timing {
    enqueue_ms: f64,
    drain_ms: f64,
}

async fn measure(store: &Store, n: u32, workers: u32) -> Result<Timing, String> {
    let e = |e: siyu_store::StoreError| e.to_string();
    store.migrate().await.map_err(e)?;
    let start = Instant::now();
    let mut left = n;
    while left > 0 {
        let batch = left.min(1_000);
        let mut tx = store.begin().await.map_err(e)?;
        for i in 0..batch {
            let job = jobs::NewJob {
                tenant_id: None,
                kind: "bench.noop",
                payload: json!({ "i": left - i }),
                dedupe_key: None,
                run_at: 0,
                max_attempts: 3,
            };
            jobs::enqueue(&mut tx, job, 0).await.map_err(e)?;
        }
        tx.commit().await.map_err(e)?;
        left -= batch;
    }
    let enqueue_ms = start.elapsed().as_secs_f64() * 1e3;

    let start = Instant::now();
    let mut handles = Vec::new();
    for w in 0..workers {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            let me = format!("bench-{w}");
            let mut done = 0u32;
            loop {
                let claimed = jobs::claim(&store, &me, 1, 600_000, 16).await?;
                if claimed.is_empty() {
                    return Ok::<u32, siyu_store::StoreError>(done);
                }
                for j in claimed {
                    jobs::complete(&store, &j.id, &me, 2).await?;
                    done += 1;
                }
            }
        }));
    }
    let mut total = 0;
    for h in handles {
        total += h.await.map_err(|e| e.to_string())?.map_err(e)?;
    }
    if total != n {
        return Err(format!("drained {total} jobs, expected {n}"));
    }
    Ok(Timing {
        enqueue_ms,
        drain_ms: start.elapsed().as_secs_f64() * 1e3,
    })
}

async fn jobs_bench(n: u32, workers: u32) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("siyu-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let sqlite = Store::connect(
        &format!("sqlite:{}", dir.join("bench.db").display()),
        workers + 1,
    )
    .await
    .map_err(|e| e.to_string())?;
    let s = measure(&sqlite, n, workers).await;
    sqlite.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    let s = s?;
    println!(
        "sqlite:   enqueue {:>9.1} ms   drain {:>9.1} ms",
        s.enqueue_ms, s.drain_ms
    );

    let server = std::env::var("SIYU_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("siyu_bench_{}", std::process::id());
    let base = server
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or(server.clone());
    if !server.starts_with("postgres") {
        return Err("SIYU_BENCH_POSTGRES_URL must be a postgres:// URL".into());
    }
    let admin = Store::connect(&server, 1)
        .await
        .map_err(|e| format!("SIYU_BENCH_POSTGRES_URL: {e}"))?;
    admin
        .execute_raw(&format!("CREATE DATABASE {name}"))
        .await
        .map_err(|e| e.to_string())?;
    let pg = Store::connect(&format!("{base}/{name}"), workers + 1)
        .await
        .map_err(|e| e.to_string());
    let p = match pg {
        Ok(pg) => {
            let r = measure(&pg, n, workers).await;
            pg.close().await;
            r
        }
        Err(e) => Err(e),
    };
    admin
        .execute_raw(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .map_err(|e| e.to_string())?;
    admin.close().await;
    let p = p?;
    println!(
        "postgres: enqueue {:>9.1} ms   drain {:>9.1} ms",
        p.enqueue_ms, p.drain_ms
    );
    let per_sec = |ms: f64| (f64::from(n) / (ms / 1e3)).round();
    println!(
        "{}",
        json!({
            "bench": "jobs", "jobs": n, "workers": workers,
            "sqlite_enqueue_ms": round(s.enqueue_ms), "sqlite_drain_ms": round(s.drain_ms),
            "sqlite_jobs_per_sec": per_sec(s.drain_ms),
            "postgres_enqueue_ms": round(p.enqueue_ms), "postgres_drain_ms": round(p.drain_ms),
            "postgres_jobs_per_sec": per_sec(p.drain_ms),
            "postgres_vs_sqlite_drain_ratio": round(s.drain_ms / p.drain_ms),
        })
    );
    Ok(())
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A fresh PostgreSQL database on `SIYU_BENCH_POSTGRES_URL`'s server (default the local
/// `postgres://postgres@127.0.0.1:5432/postgres`), for one baseline; dropped with [`drop`].
///
/// [`drop`]: ScratchPg::drop
struct ScratchPg {
    admin: sqlx::PgConnection,
    name: String,
    /// Where the baseline connects.
    url: String,
}

impl ScratchPg {
    /// Creates `siyu_bench_{label}_{pid}_{random}`.
    async fn create(label: &str) -> Result<ScratchPg, String> {
        use sqlx::{ConnectOptions, Executor};
        let server = std::env::var("SIYU_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        if !server.starts_with("postgres") {
            return Err("SIYU_BENCH_POSTGRES_URL must be a postgres:// URL".into());
        }
        let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
        let name = format!(
            "siyu_bench_{label}_{}_{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        let url = format!("{base}/{name}");
        // Statement logging is off: DROP DATABASE takes seconds, and sqlx's slow-statement
        // warnings would only repeat what the bench reports.
        let mut admin = server
            .parse::<sqlx::postgres::PgConnectOptions>()
            .map_err(|e| format!("SIYU_BENCH_POSTGRES_URL: {e}"))?
            .disable_statement_logging()
            .connect()
            .await
            .map_err(|e| format!("SIYU_BENCH_POSTGRES_URL: {e}"))?;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .map_err(|e| format!("creating {name}: {e}"))?;
        Ok(ScratchPg { admin, name, url })
    }

    /// Drops the database (also when the baseline in it failed).
    async fn drop(mut self) -> Result<(), String> {
        use sqlx::{Connection, Executor};
        let dropped = self
            .admin
            .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
            .await;
        let _ = self.admin.close().await;
        dropped
            .map(|_| ())
            .map_err(|e| format!("dropping {}: {e}", self.name))
    }
}
