//! Access tokens: the [`TokenStore`] abstraction and the in-memory default.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

use crate::error::Result;

/// An access token with its absolute expiry. `Debug` redacts the token.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    token: String,
    /// Expiry as unix seconds (storable across nodes).
    pub expires_at: i64,
}

impl AccessToken {
    /// A token that expires at `expires_at` (unix seconds).
    pub fn new(token: impl Into<String>, expires_at: i64) -> Self {
        AccessToken {
            token: token.into(),
            expires_at,
        }
    }

    /// The token value. Handle with care: it grants API access.
    pub fn secret(&self) -> &str {
        &self.token
    }

    /// Whether it is still valid for at least `margin` at `now` (unix seconds).
    pub fn is_fresh(&self, now: i64, margin: Duration) -> bool {
        let margin = i64::try_from(margin.as_secs()).unwrap_or(i64::MAX);
        self.expires_at.saturating_sub(margin) > now
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Where access tokens live. Implement it over a database to share one token (and a
/// refresh lease) across server nodes; [`MemoryTokenStore`] is the single-process default.
///
/// The client keeps its own in-process cache and serializes refreshes per client, so a
/// store only sees a load when the cache is stale and a save after each fetch.
#[async_trait]
pub trait TokenStore: Send + Sync + 'static {
    /// The stored token for `app_id`, if any (expired ones may be returned).
    async fn load(&self, app_id: &str) -> Result<Option<AccessToken>>;

    /// Stores a freshly fetched token.
    async fn save(&self, app_id: &str, token: &AccessToken) -> Result<()>;

    /// Forgets the token if it still equals `stale` (WeChat rejected it).
    async fn invalidate(&self, app_id: &str, stale: &str) -> Result<()>;

    /// Tries to take the cross-node refresh lease for `ttl`. `Ok(false)` means another node
    /// is refreshing; the client then polls [`load`](Self::load) for a while before fetching
    /// anyway (stable_token in normal mode is idempotent). The default always grants.
    async fn try_acquire_lease(&self, app_id: &str, holder: &str, ttl: Duration) -> Result<bool> {
        let _ = (app_id, holder, ttl);
        Ok(true)
    }

    /// Releases a lease taken by `holder`. The default does nothing.
    async fn release_lease(&self, app_id: &str, holder: &str) -> Result<()> {
        let _ = (app_id, holder);
        Ok(())
    }
}

/// In-memory [`TokenStore`] (per process).
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<HashMap<String, AccessToken>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, AccessToken>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn load(&self, app_id: &str) -> Result<Option<AccessToken>> {
        Ok(self.map().get(app_id).cloned())
    }

    async fn save(&self, app_id: &str, token: &AccessToken) -> Result<()> {
        self.map().insert(app_id.to_owned(), token.clone());
        Ok(())
    }

    async fn invalidate(&self, app_id: &str, stale: &str) -> Result<()> {
        let mut map = self.map();
        if map.get(app_id).is_some_and(|t| t.secret() == stale) {
            map.remove(app_id);
        }
        Ok(())
    }
}

/// Current unix time in seconds.
pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_and_redaction() {
        let t = AccessToken::new("SECRET", 1000);
        assert!(t.is_fresh(600, Duration::from_secs(300)));
        assert!(!t.is_fresh(700, Duration::from_secs(300)));
        assert!(!format!("{t:?}").contains("SECRET"));
    }

    #[tokio::test]
    async fn memory_store_invalidate_only_matching() {
        let s = MemoryTokenStore::new();
        s.save("wx", &AccessToken::new("A", 10)).await.unwrap();
        s.invalidate("wx", "B").await.unwrap();
        assert!(s.load("wx").await.unwrap().is_some());
        s.invalidate("wx", "A").await.unwrap();
        assert!(s.load("wx").await.unwrap().is_none());
        assert!(s
            .try_acquire_lease("wx", "me", Duration::from_secs(1))
            .await
            .unwrap());
    }
}
