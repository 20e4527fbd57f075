//! Plain-HTTP helpers for the fake's contract tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use siyu_fake_wechat::{spawn, FakeConfig, FakeWechat};

pub const APP_ID: &str = "wx0123456789abcdef";
pub const SECRET: &str = "0123456789abcdef0123456789abcdef";

/// A running fake, an HTTP client and a stable access token.
pub struct Wx {
    pub fake: FakeWechat,
    pub http: reqwest::Client,
    pub token: String,
}

pub fn errcode(v: &Value) -> i64 {
    v.get("errcode").and_then(Value::as_i64).unwrap_or(0)
}

impl Wx {
    /// Starts a fake and fetches one stable token.
    pub async fn start(config: FakeConfig) -> Wx {
        let mut wx = Wx::without_token(config).await;
        wx.token = wx.stable_token(false).await["access_token"]
            .as_str()
            .expect("a token")
            .to_owned();
        wx
    }

    /// Starts a fake without fetching a token.
    pub async fn without_token(config: FakeConfig) -> Wx {
        Wx {
            fake: spawn(config).await,
            http: reqwest::Client::new(),
            token: String::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.fake.base_url(), path)
    }

    pub async fn stable_token(&self, force: bool) -> Value {
        let body = json!({"grant_type": "client_credential", "appid": APP_ID, "secret": SECRET, "force_refresh": force});
        self.raw_post("/cgi-bin/stable_token", &[], body).await
    }

    /// GET with the access token.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let mut q = query.to_vec();
        q.push(("access_token", &self.token));
        self.raw_get(path, &q).await
    }

    /// POST JSON with the access token.
    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.raw_post(path, &[("access_token", &self.token)], body)
            .await
    }

    pub async fn raw_get(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let resp = self
            .http
            .get(self.url(path))
            .query(query)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "WeChat answers 200 even for errors");
        resp.json().await.unwrap()
    }

    pub async fn raw_post(&self, path: &str, query: &[(&str, &str)], body: Value) -> Value {
        let resp = self
            .http
            .post(self.url(path))
            .query(query)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "WeChat answers 200 even for errors");
        resp.json().await.unwrap()
    }
}
