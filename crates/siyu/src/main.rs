//! `siyu`: the one binary. `serve`, `demo`, `migrate`, `admin …`, `bench …`.

mod admin;
mod bench;
mod demo;
mod dev;
mod draw;
mod import;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use siyu_server::app::{open_store, shutdown_signal};
use siyu_server::{Application, BuildOptions, Config};

/// jemalloc rather than the system allocator: a callback's buffers are allocated on one thread
/// and freed on another (the runtime's workers, SQLite's threads), which glibc's arenas pay for
/// in lock contention (see docs/BENCHMARKS.md, `siyu bench channels`).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "siyu",
    version,
    about = "私域 — private-domain commerce for merchants who sell through WeChat"
)]
struct Cli {
    /// A TOML configuration file; `SIYU_*` environment variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (API, console, WeChat callbacks, jobs).
    Serve {
        /// Apply pending database migrations before starting.
        #[arg(long)]
        migrate: bool,
    },
    /// Create a demo merchant with realistic data, start the server and print the login.
    Demo,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Run a benchmark; the last line of output is JSON with its figures.
    Bench {
        #[command(subcommand)]
        bench: bench::Bench,
    },
    /// Prize draws: `siyu draw verify EXPORT.json` (or `--campaign ID --seed HEX`) re-derives
    /// every result.
    Draw {
        #[command(subcommand)]
        command: draw::DrawCommand,
    },
    /// Developer tools, e.g. `siyu dev fake-wechat --listen 127.0.0.1:8090`.
    Dev {
        #[command(subcommand)]
        command: dev::DevCommand,
    },
    /// Import customers from another channel's export (Taobao or JD orders, Weibo followers,
    /// a store POS member list): CSV or XLSX, streamed.
    Import(import::ImportArgs),
    /// Administer tenants, staff and API keys from the server's shell.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let command = match cli.command {
        Command::Bench { bench } => return bench::run(bench).await,
        Command::Dev { command } => return dev::run(command).await,
        Command::Draw { command } => match draw::run_file(&command) {
            Some(done) => return done,
            None => Command::Draw { command },
        },
        other => other,
    };
    let config = Config::load(cli.config.as_deref()).map_err(|e| e.to_string())?;
    match command {
        Command::Serve { migrate } => serve(config, migrate).await,
        Command::Demo => demo::run(config).await,
        Command::Migrate => {
            let store = open_store(&config, true).await.map_err(|e| e.to_string())?;
            store.close().await;
            println!("database is up to date ({})", config.database_url);
            Ok(())
        }
        Command::Admin { command } => admin::run(config, command).await,
        Command::Import(args) => import::run(config, args).await,
        Command::Draw { command } => draw::run_db(&config, command).await,
        Command::Bench { .. } | Command::Dev { .. } => Ok(()),
    }
}

async fn serve(config: Config, migrate: bool) -> Result<(), String> {
    let app = Application::build(
        config,
        BuildOptions {
            migrate,
            ..Default::default()
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    tracing::info!(addr = %app.local_addr(), database = %app.state().config.database_url, "siyu is serving");
    app.run_until_stopped(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}
