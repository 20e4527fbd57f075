//! The outbound WeChat API client for an account, with its access token kept in the database
//! (shared by every node, refreshed under a lease by one of them).

use std::sync::Arc;
use std::time::Duration;

use siyu_store::wechat_accounts::Account;
use siyu_wechat::client::{async_trait, AccessToken, ClientConfig, TokenStore, WechatClient};
use siyu_wechat::WechatError;

use crate::crypto::Keys;
use crate::error::ApiError;
use crate::state::AppState;

/// [`TokenStore`] over the `wechat_tokens` table; tokens are sealed at rest.
pub struct DbTokenStore {
    store: siyu_store::Store,
    keys: Keys,
}

fn store_err(e: siyu_store::StoreError) -> WechatError {
    WechatError::TokenStore(e.to_string())
}

fn now_ms() -> i64 {
    use siyu_domain::Clock;
    siyu_domain::SystemClock.now_ms()
}

#[async_trait]
impl TokenStore for DbTokenStore {
    async fn load(&self, app_id: &str) -> Result<Option<AccessToken>, WechatError> {
        let Some(t) = siyu_store::wechat_tokens::load(&self.store, app_id)
            .await
            .map_err(store_err)?
        else {
            return Ok(None);
        };
        // A token sealed under another key is useless; treat it as absent and fetch anew.
        Ok(self
            .keys
            .open(&t.token_sealed)
            .ok()
            .map(|tok| AccessToken::new(tok, t.expires_at)))
    }

    async fn save(&self, app_id: &str, token: &AccessToken) -> Result<(), WechatError> {
        let sealed = self.keys.seal(token.secret());
        let hash = siyu_store::hash_secret(token.secret());
        siyu_store::wechat_tokens::save(&self.store, app_id, &sealed, &hash, token.expires_at)
            .await
            .map_err(store_err)
    }

    async fn invalidate(&self, app_id: &str, stale: &str) -> Result<(), WechatError> {
        siyu_store::wechat_tokens::invalidate(&self.store, app_id, &siyu_store::hash_secret(stale))
            .await
            .map_err(store_err)
    }

    async fn try_acquire_lease(
        &self,
        app_id: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, WechatError> {
        let now = now_ms();
        let ttl = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        siyu_store::wechat_tokens::try_lease(
            &self.store,
            app_id,
            holder,
            now,
            now.saturating_add(ttl),
        )
        .await
        .map_err(store_err)
    }

    async fn release_lease(&self, app_id: &str, holder: &str) -> Result<(), WechatError> {
        siyu_store::wechat_tokens::release(&self.store, app_id, holder)
            .await
            .map_err(store_err)
    }
}

/// A client for `account` against the configured API host.
pub fn client_for(state: &AppState, account: &Account) -> Result<WechatClient, ApiError> {
    let secret = state
        .keys
        .open(&account.app_secret_sealed)
        .map_err(|_| ApiError::Internal)?;
    let config =
        ClientConfig::new(&account.app_id, secret).with_base_url(&state.config.wechat_api_base);
    let tokens = Arc::new(DbTokenStore {
        store: state.store.clone(),
        keys: state.keys.clone(),
    });
    WechatClient::with_store(config, tokens).map_err(|e| {
        tracing::error!(wechat.account = %account.id, error = %e, "cannot build the WeChat client");
        ApiError::Internal
    })
}
