//! [`FakeWechat`]: a fake running in the background, with inspection and control methods.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api::token::{CLASSIC_PATH, STABLE_PATH};
use crate::config::FakeConfig;
use crate::followers::Follower;
use crate::records::{CallRecord, MassRecord, MediaRecord, QrRecord, TagRecord, TemplateRecord};
use crate::server::serve_shared;
use crate::state::{Interaction, Shared, World};

/// Calls to both token endpoints.
pub(crate) fn fetch_count(w: &World) -> usize {
    [CLASSIC_PATH, STABLE_PATH]
        .iter()
        .map(|p| w.calls.get(*p).copied().unwrap_or(0))
        .sum()
}

/// Records an interaction of `openid` at `at` (unix seconds): opens the 48 h window and
/// resets the downlink count.
pub(crate) fn touch(w: &mut World, openid: &str, at: i64) {
    let i = Interaction {
        last_secs: at,
        sent_since: 0,
    };
    w.interactions.insert(openid.to_owned(), i);
}

/// A fake WeChat API served on `127.0.0.1:<random port>` by a background task; stops when
/// dropped (or on [`shutdown`](Self::shutdown)).
#[derive(Debug)]
pub struct FakeWechat {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// Starts a fake on `127.0.0.1:0`.
///
/// # Panics
///
/// If no local port can be bound (use [`try_spawn`] to handle that).
pub async fn spawn(config: FakeConfig) -> FakeWechat {
    try_spawn(config)
        .await
        .unwrap_or_else(|e| panic!("cannot bind the fake WeChat server: {e}"))
}

/// Starts a fake on `127.0.0.1:0`, returning bind errors.
pub async fn try_spawn(config: FakeConfig) -> std::io::Result<FakeWechat> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared::new(config));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_shared(listener, shared.clone(), async move {
        let _ = stopped.await;
    }));
    Ok(FakeWechat {
        addr,
        base_url: format!("http://{addr}"),
        shared,
        stop: Some(stop),
        task: Some(task),
    })
}

impl FakeWechat {
    /// `http://127.0.0.1:<port>`: use as the client's API base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut self.shared.lock())
    }

    // ---- inspection ----

    /// Requests to `/cgi-bin/token` and `/cgi-bin/stable_token` (including rejected ones).
    pub fn token_fetches(&self) -> usize {
        self.with(|w| fetch_count(w))
    }

    /// Every access token issued so far, oldest first.
    pub fn tokens_issued(&self) -> Vec<String> {
        self.with(|w| w.tokens.issued().to_vec())
    }

    /// Requests to `path` (including rejected ones).
    pub fn calls(&self, path: &str) -> usize {
        self.with(|w| w.calls.get(path).copied().unwrap_or(0))
    }

    /// Requests per path.
    pub fn call_counts(&self) -> BTreeMap<String, usize> {
        self.with(|w| w.calls.clone())
    }

    /// The call log, oldest first (the last 100,000 calls).
    pub fn call_log(&self) -> Vec<CallRecord> {
        self.with(|w| w.log.iter().cloned().collect())
    }

    /// The calls to `path`, oldest first.
    pub fn calls_to(&self, path: &str) -> Vec<CallRecord> {
        self.with(|w| w.log.iter().filter(|c| c.path == path).cloned().collect())
    }

    /// Accepted customer-service messages (request bodies).
    pub fn custom_messages(&self) -> Vec<Value> {
        self.with(|w| w.records.custom.clone())
    }

    /// Accepted template messages.
    pub fn template_messages(&self) -> Vec<TemplateRecord> {
        self.with(|w| w.records.templates.clone())
    }

    /// Accepted mass sends.
    pub fn mass_messages(&self) -> Vec<MassRecord> {
        self.with(|w| w.records.mass.clone())
    }

    /// Created QR codes (a repeated permanent scene is listed once).
    pub fn qrcodes(&self) -> Vec<QrRecord> {
        self.with(|w| w.records.qrcodes.clone())
    }

    /// Uploaded media.
    pub fn media(&self) -> Vec<MediaRecord> {
        self.with(|w| w.records.media.clone())
    }

    /// Tags and their members.
    pub fn tags(&self) -> Vec<TagRecord> {
        self.with(|w| w.tags.records())
    }

    /// The current menu as `menu/get` returns it (`{"button":[…]}`).
    pub fn menu(&self) -> Option<Value> {
        self.with(|w| w.menu.clone())
    }

    /// Seeded follower OpenIDs in subscribe order (the `user/get` order).
    pub fn follower_openids(&self) -> Vec<String> {
        self.with(|w| w.followers.list.iter().map(|f| f.openid.clone()).collect())
    }

    /// A seeded follower.
    pub fn follower(&self, openid: &str) -> Option<Follower> {
        self.with(|w| w.followers.get(openid).cloned())
    }

    /// The fake clock (unix seconds).
    pub fn now_unix(&self) -> i64 {
        self.with(|w| w.now_secs())
    }

    // ---- control ----

    /// Answers the next `times` calls to `path` with `errcode` (and WeChat's errmsg for
    /// it), before any other check. Queued failures are used in order.
    pub fn fail_next(&self, path: &str, errcode: i64, times: u32) {
        self.with(|w| w.fail_next(path, errcode, times));
    }

    /// Records a user interaction at `unix_secs`: customer-service messages to `openid` are
    /// allowed for 48 h after it (20 at most).
    pub fn touch(&self, openid: &str, unix_secs: i64) {
        self.with(|w| touch(w, openid, unix_secs));
    }

    /// Makes every issued token expire now: APIs answer 42001 and `stable_token` issues a
    /// new token.
    pub fn expire_tokens(&self) {
        self.with(|w| {
            let now = w.now_ms();
            w.tokens.expire_all(now);
        });
    }

    /// Invalidates every issued token: APIs answer 40001 and `stable_token` issues a new one.
    pub fn revoke_tokens(&self) {
        self.with(|w| w.tokens.revoke_all());
    }

    /// Moves the fake clock forward (token expiry, 48 h windows, rate-limit windows, quota
    /// months, timestamps).
    pub fn advance_clock(&self, by: Duration) {
        self.with(|w| w.advance(by));
    }
}

impl Drop for FakeWechat {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
