//! `siyu dev …`: tools for running siyu without real WeChat credentials.

use clap::Subcommand;
use siyu_fake_wechat::FakeConfig;

/// Developer subcommands.
#[derive(Subcommand)]
pub enum DevCommand {
    /// Run the fake WeChat API server (the one the tests use); point `SIYU_WECHAT_API_BASE` at it.
    FakeWechat {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: String,
        /// Accept only this AppID (with `--secret`); by default any pair is accepted.
        #[arg(long, requires = "secret")]
        app_id: Option<String>,
        /// The AppSecret that goes with `--app-id`.
        #[arg(long, requires = "app_id")]
        secret: Option<String>,
        /// Seed this many followers (for follower sync).
        #[arg(long, default_value_t = 200)]
        followers: usize,
    },
}

/// Runs a developer subcommand until Ctrl-C.
pub async fn run(cmd: DevCommand) -> Result<(), String> {
    match cmd {
        DevCommand::FakeWechat {
            listen,
            app_id,
            secret,
            followers,
        } => {
            let mut config = FakeConfig::default().with_followers(followers);
            if let (Some(a), Some(s)) = (app_id, secret) {
                config = config.with_credentials(a, s);
            }
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .map_err(|e| format!("--listen {listen}: {e}"))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            println!("fake WeChat API listening on http://{addr}");
            println!("  use it with: SIYU_WECHAT_API_BASE=http://{addr}");
            siyu_fake_wechat::serve(listener, config, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| e.to_string())
        }
    }
}
