//! Outbound client for api.weixin.qq.com (WECHAT.md 2).
//!
//! * One shared access token from `POST /cgi-bin/stable_token`, cached in a [`TokenStore`],
//!   refreshed single-flight: concurrent callers wait for one fetch.
//! * On 40001/40014/42001 the token is refreshed once and the call replayed.
//! * -1 / 45009 / 45011 and transport failures of idempotent calls are retried with bounded
//!   exponential backoff ([`RetryPolicy`]).
//! * A per-API token bucket ([`RateLimit`]).
//! * `errcode != 0` becomes [`WechatError::Api`].

mod config;
mod core;
mod mass;
mod media;
mod menu;
mod message;
mod qrcode;
mod ratelimit;
mod tag;
mod token;
mod tokens;
mod user;

use std::sync::Arc;

use rand::RngCore;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub use self::core::{RETRY_ERRCODES, TOKEN_ERRCODES};
/// Re-exported so [`TokenStore`] implementations need no extra dependency.
pub use async_trait::async_trait;
pub use config::{ClientConfig, RetryPolicy, DEFAULT_BASE_URL};
pub use mass::{MassContent, MassOptions, MassSendResult};
pub use media::{MediaType, UploadedMedia};
pub use menu::{Menu, MenuButton, MenuInfo};
pub use message::{
    CustomArticle, CustomContent, CustomMessage, MediaRef, MiniProgram, TemplateMessage,
    TemplateValue, TextContent,
};
pub use qrcode::{showqrcode_url, QrCode, QrCodeRequest, QrScene};
pub use ratelimit::RateLimit;
pub use tag::Tag;
pub use token::{AccessToken, MemoryTokenStore, TokenStore};
pub use user::{FollowerPage, FollowerPager, UserInfo};

use self::core::{decode, CallOpts, Payload, Transport};
use crate::error::{Result, WechatError};
use ratelimit::RateLimiter;
use tokens::TokenManager;

struct Inner {
    transport: Transport,
    tokens: TokenManager,
}

/// The API client. Cheap to clone; clones share the token cache and rate limiter.
#[derive(Clone)]
pub struct WechatClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for WechatClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatClient")
            .field("config", &self.inner.transport.config)
            .finish_non_exhaustive()
    }
}

impl WechatClient {
    /// A client with an in-memory token store.
    pub fn new(config: ClientConfig) -> Result<WechatClient> {
        Self::with_store(config, Arc::new(MemoryTokenStore::new()))
    }

    /// A client whose token lives in `store` (e.g. a database shared by several nodes).
    pub fn with_store(config: ClientConfig, store: Arc<dyn TokenStore>) -> Result<WechatClient> {
        if config.app_id.is_empty() || config.app_secret.is_empty() {
            return Err(WechatError::Config("app_id and app_secret are required"));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|_| WechatError::Config("cannot build the HTTP client"))?;
        let mut id = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut id);
        let holder: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let limiter = RateLimiter::new(config.rate_limits.clone(), config.default_rate_limit);
        let tokens = TokenManager::new(store, config.refresh_margin, holder);
        Ok(WechatClient {
            inner: Arc::new(Inner {
                transport: Transport {
                    http,
                    config,
                    limiter,
                },
                tokens,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.transport.config
    }

    /// A valid access token (cached; refreshed single-flight when stale).
    pub async fn access_token(&self) -> Result<AccessToken> {
        self.inner.tokens.get(&self.inner.transport).await
    }

    /// Escape hatch: `GET path` with the access token, for APIs not wrapped here.
    pub async fn get_json(&self, path: &str, query: &[(&str, &str)]) -> Result<Value> {
        self.call(
            Method::GET,
            path,
            query,
            Payload::Empty,
            CallOpts::IDEMPOTENT,
        )
        .await
    }

    /// Escape hatch: `POST path` with a JSON body and the access token. Not retried on
    /// busy errors (the call may not be idempotent).
    pub async fn post_json(&self, path: &str, body: &Value) -> Result<Value> {
        self.call(
            Method::POST,
            path,
            &[],
            Payload::Json(body.clone()),
            CallOpts::ONCE,
        )
        .await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T> {
        decode(self.get_json(path, query).await?)
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        opts: CallOpts,
    ) -> Result<T> {
        let json = serde_json::to_value(body).map_err(|e| WechatError::Decode(e.to_string()))?;
        decode(
            self.call(Method::POST, path, &[], Payload::Json(json), opts)
                .await?,
        )
    }

    /// The full call: token, rate limit, retries, and one token refresh on 40001/40014/42001.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        payload: Payload,
        opts: CallOpts,
    ) -> Result<Value> {
        let t = &self.inner.transport;
        let mut refreshed = false;
        loop {
            let token = self.inner.tokens.get(t).await?;
            let result = t
                .with_retry(path, opts.retry, || {
                    t.send_once(
                        &method,
                        path,
                        query,
                        Some(token.secret()),
                        &payload,
                        opts.ok_codes,
                    )
                })
                .await;
            match result {
                Err(WechatError::Api { errcode, .. })
                    if !refreshed && TOKEN_ERRCODES.contains(&errcode) =>
                {
                    tracing::info!(path, errcode, "access token rejected, refreshing once");
                    self.inner.tokens.refresh_after_reject(t, &token).await?;
                    refreshed = true;
                }
                other => return other,
            }
        }
    }
}

/// `{"errcode":0,"errmsg":"ok"}`-only responses.
#[derive(Debug, serde::Deserialize)]
struct Ack {}
