//! The single-flight token manager behind [`WechatClient::access_token`](super::WechatClient::access_token).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::core::Transport;
use super::token::{now_unix, AccessToken, TokenStore};
use crate::error::{Result, WechatError};

/// How long a refresh lease is held at most.
const LEASE_TTL: Duration = Duration::from_secs(30);
/// How long to wait for another node's refresh before fetching anyway.
const LEASE_POLLS: u32 = 20;
const LEASE_POLL_INTERVAL: Duration = Duration::from_millis(250);
/// A token loaded or fetched this recently is reused while still valid even if it is inside
/// the refresh margin, so a short `expires_in` cannot cause a fetch per call.
const MIN_REFETCH_INTERVAL_SECS: i64 = 30;

struct Cached {
    token: AccessToken,
    loaded_at: i64,
}

#[derive(Deserialize)]
struct StableTokenResponse {
    access_token: String,
    expires_in: i64,
}

pub(crate) struct TokenManager {
    store: Arc<dyn TokenStore>,
    cache: RwLock<Option<Cached>>,
    refresh: tokio::sync::Mutex<()>,
    holder: String,
    margin: Duration,
}

impl TokenManager {
    pub(crate) fn new(store: Arc<dyn TokenStore>, margin: Duration, holder: String) -> Self {
        TokenManager {
            store,
            cache: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
            holder,
            margin,
        }
    }

    fn cached(&self) -> Option<AccessToken> {
        let now = now_unix();
        self.cache
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|c| {
                c.token.is_fresh(now, self.margin)
                    || (c.token.expires_at > now
                        && now.saturating_sub(c.loaded_at) < MIN_REFETCH_INTERVAL_SECS)
            })
            .map(|c| c.token.clone())
    }

    fn set_cache(&self, token: Option<AccessToken>) {
        let cached = token.map(|token| Cached {
            token,
            loaded_at: now_unix(),
        });
        *self.cache.write().unwrap_or_else(|p| p.into_inner()) = cached;
    }

    /// A fresh token; at most one refresh runs at a time, concurrent callers wait for it.
    pub(crate) async fn get(&self, t: &Transport) -> Result<AccessToken> {
        if let Some(tok) = self.cached() {
            return Ok(tok);
        }
        let _guard = self.refresh.lock().await;
        if let Some(tok) = self.cached() {
            return Ok(tok);
        }
        self.load_or_fetch(t, None).await
    }

    /// Called after WeChat rejected `stale` (40001/40014/42001).
    pub(crate) async fn refresh_after_reject(
        &self,
        t: &Transport,
        stale: &AccessToken,
    ) -> Result<AccessToken> {
        let _guard = self.refresh.lock().await;
        if let Some(tok) = self.cached().filter(|c| c.secret() != stale.secret()) {
            return Ok(tok); // someone refreshed while we waited
        }
        self.set_cache(None);
        self.store
            .invalidate(&t.config.app_id, stale.secret())
            .await?;
        self.load_or_fetch(t, Some(stale)).await
    }

    async fn load_or_fetch(
        &self,
        t: &Transport,
        stale: Option<&AccessToken>,
    ) -> Result<AccessToken> {
        if let Some(tok) = self.load_usable(t, stale).await? {
            self.set_cache(Some(tok.clone()));
            return Ok(tok);
        }
        let app_id = &t.config.app_id;
        let leased = self
            .store
            .try_acquire_lease(app_id, &self.holder, LEASE_TTL)
            .await?;
        if !leased {
            for _ in 0..LEASE_POLLS {
                tokio::time::sleep(LEASE_POLL_INTERVAL).await;
                if let Some(tok) = self.load_usable(t, stale).await? {
                    self.set_cache(Some(tok.clone()));
                    return Ok(tok);
                }
            }
        }
        // Another node may have stored a token between our first look and taking the lease.
        if leased {
            if let Some(tok) = self.load_usable(t, stale).await? {
                self.store.release_lease(app_id, &self.holder).await?;
                self.set_cache(Some(tok.clone()));
                return Ok(tok);
            }
        }
        let fetched = self.fetch(t).await;
        // Save before giving the lease back, so the next holder finds the token.
        let saved = match &fetched {
            Ok(tok) => self.store.save(app_id, tok).await,
            Err(_) => Ok(()),
        };
        if leased {
            self.store.release_lease(app_id, &self.holder).await?;
        }
        let tok = fetched?;
        saved?;
        self.set_cache(Some(tok.clone()));
        Ok(tok)
    }

    async fn load_usable(
        &self,
        t: &Transport,
        stale: Option<&AccessToken>,
    ) -> Result<Option<AccessToken>> {
        let now = now_unix();
        Ok(self
            .store
            .load(&t.config.app_id)
            .await?
            .filter(|tok| tok.is_fresh(now, self.margin))
            .filter(|tok| stale.is_none_or(|s| s.secret() != tok.secret())))
    }

    /// `POST /cgi-bin/stable_token` in normal mode (returns the current token while valid).
    async fn fetch(&self, t: &Transport) -> Result<AccessToken> {
        let body = json!({
            "grant_type": "client_credential",
            "appid": t.config.app_id,
            "secret": t.config.app_secret,
            "force_refresh": false,
        });
        tracing::debug!(app_id = %t.config.app_id, "fetching stable access token");
        let value = t.post_json_retrying("/cgi-bin/stable_token", &body).await?;
        let resp: StableTokenResponse =
            serde_json::from_value(value).map_err(|e| WechatError::Decode(e.to_string()))?;
        if u64::try_from(resp.expires_in).unwrap_or(0) <= self.margin.as_secs() {
            tracing::warn!(
                expires_in = resp.expires_in,
                "access token lifetime within the refresh margin"
            );
        }
        if resp.access_token.is_empty() {
            return Err(WechatError::Decode("empty access_token".into()));
        }
        Ok(AccessToken::new(
            resp.access_token,
            now_unix().saturating_add(resp.expires_in),
        ))
    }
}
