//! Shared test setup: a real server on port 0 over a fresh database.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use siyu_domain::{Clock, FixedClock};
use siyu_server::jobs::{Registry, WorkerOptions};
use siyu_server::services::{self, Actor};
use siyu_server::state::AppState;
use siyu_server::{Application, BuildOptions, Config};
use siyu_store::testing::TestDb;
use siyu_store::Backend;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const SECRET: &str = "test-secret-key-0123456789abcdef0123456789";

/// A configuration for tests: port 0, the given database, extra `SIYU_*` settings.
pub fn config(url: &str, extra: &[(&str, &str)]) -> Config {
    let mut env: HashMap<String, String> = HashMap::from([
        ("SIYU_DATABASE_URL".into(), url.to_owned()),
        ("SIYU_LISTEN".into(), "127.0.0.1:0".into()),
        ("SIYU_SECRET_KEY".into(), SECRET.into()),
        // Nothing listens on the discard port: tests that need WeChat start a fake and override this.
        ("SIYU_WECHAT_API_BASE".into(), "http://127.0.0.1:9".into()),
    ]);
    for (k, v) in extra {
        env.insert((*k).into(), (*v).into());
    }
    Config::load_from(None, |k| env.get(k).cloned()).expect("test config")
}

/// A running server.
pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub clock: Arc<FixedClock>,
    pub http: reqwest::Client,
    pub db: Option<TestDb>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// Options for [`TestApp::start`].
pub struct Start<'a> {
    pub url: &'a str,
    pub extra: &'a [(&'a str, &'a str)],
    pub registry: Registry,
    pub migrate: bool,
}

impl TestApp {
    /// A server on a fresh database of `backend`.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, &[]).await
    }

    /// A server on a fresh database with extra settings.
    pub async fn spawn_with(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
        let db = TestDb::new(backend).await;
        let mut app = Self::start(Start {
            url: &db.url,
            extra,
            registry: Registry::standard(),
            migrate: true,
        })
        .await;
        app.db = Some(db);
        app
    }

    /// A server on an existing database.
    pub async fn start(s: Start<'_>) -> TestApp {
        let clock = Arc::new(FixedClock::at(siyu_domain::SystemClock.now_ms()));
        let worker = WorkerOptions {
            poll: std::time::Duration::from_millis(20),
            ..WorkerOptions::default()
        };
        let app = Application::build(
            config(s.url, s.extra),
            BuildOptions {
                migrate: s.migrate,
                registry: s.registry,
                clock: clock.clone(),
                worker,
            },
        )
        .await
        .expect("build app");
        let base = format!("http://{}", app.local_addr());
        let state = app.state().clone();
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(app.run_until_stopped(async move {
            let _ = rx.await;
        }));
        TestApp {
            base,
            state,
            clock,
            http: reqwest::Client::new(),
            db: None,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.expect("server task").expect("server result");
        }
    }

    /// A new tenant with its API key: `(tenant_id, api_key)`.
    pub async fn tenant(&self, name: &str) -> (String, String) {
        let (t, k) =
            services::create_tenant(&self.state.store, name, &Actor::Cli, self.state.now())
                .await
                .unwrap();
        (t.id.to_string(), k.secret)
    }

    /// A staff account created from the command line's side.
    pub async fn staff(
        &self,
        tenant: Option<&str>,
        login: &str,
        role: &str,
        password: &str,
    ) -> String {
        let t = tenant.map(|t| siyu_domain::TenantId::parse(t).unwrap());
        let role = siyu_domain::Role::parse(role).unwrap();
        services::create_staff(
            &self.state.store,
            t.as_ref(),
            login,
            role,
            password,
            &Actor::Cli,
            self.state.now(),
        )
        .await
        .unwrap()
        .to_string()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request with an API key and an optional JSON body; returns status and JSON.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(m, self.url(path)).bearer_auth(key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str, key: &str) -> (u16, Value) {
        self.call("GET", path, key, None).await
    }

    /// The Prometheus text `/metrics` serves.
    pub async fn metrics(&self) -> String {
        let r = self.http.get(self.url("/metrics")).send().await.unwrap();
        r.text().await.unwrap()
    }
}

/// Generates one `#[tokio::test]` per backend for each story function.
#[macro_export]
macro_rules! story {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(siyu_store::Backend::Sqlite).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(siyu_store::Backend::Postgres).await } )* }
    };
}

/// The error code of an error body.
pub fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<no error code>")
}

/// POSTs a plaintext callback for a plain-mode account, signed with `token` as WeChat does.
pub async fn wechat_post_plain(
    app: &TestApp,
    account: &str,
    token: &str,
    xml: &str,
) -> (u16, String) {
    let ts = (app.state.now() / 1000).to_string();
    let sig = siyu_wechat::signature::url_signature(token, &ts, "99");
    let url = app.url(&format!(
        "/wechat/{account}?signature={sig}&timestamp={ts}&nonce=99"
    ));
    let r = app
        .http
        .post(url)
        .body(xml.to_owned())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The CSRF token in a console page's forms.
pub fn csrf_of(html: &str) -> String {
    let i = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF field")
        + 19;
    html[i..i + html[i..].find('"').expect("closing quote")].to_owned()
}

/// The CSRF token a console page gives its scripts (`x-csrf-token` header).
pub fn csrf_of_header(html: &str) -> String {
    let i = html
        .find("\"x-csrf-token\": \"")
        .expect("a page with a CSRF header")
        + 17;
    html[i..i + html[i..].find('"').expect("closing quote")].to_owned()
}

/// A cookie-keeping client signed in to the console (redirects are not followed).
pub async fn console_login(app: &TestApp, login: &str, password: &str) -> reqwest::Client {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http
        .get(app.url("/console/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = http
        .post(app.url("/console/login"))
        .form(&[
            ("login", login),
            ("password", password),
            ("csrf", &csrf_of(&page)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "signed in as {login}");
    http
}

/// The voucher issued for `source` (a draw entry, a channel follow, a segment), waiting up to
/// 4 s for the job that issues it.
pub async fn voucher_of(app: &TestApp, tenant: &str, source: &str) -> Option<String> {
    let tenant = siyu_domain::TenantId::parse(tenant).unwrap();
    for _ in 0..200 {
        if let Some(code) = siyu_store::vouchers::by_source(&app.state.store, &tenant, source)
            .await
            .unwrap()
        {
            return Some(code);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    None
}
