//! The state every handler and job shares.

use std::sync::Arc;

use siyu_domain::Clock;
use siyu_store::Store;

use crate::config::Config;
use crate::console::templates::Templates;
use crate::crypto::Keys;

/// Shared, cheaply cloned application state. Nothing in it decides correctness on its own:
/// every fact lives in the database, so several nodes behave as one service.
///
/// One reference count for all of it: every request clones the state (each middleware layer
/// and the handler), and a clone of one `Arc` costs one atomic increment where a clone of each
/// part costs a dozen, all on cache lines the cores share.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// The state made of `shared`.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct Shared {
    /// The database.
    pub store: Store,
    /// Validated configuration.
    pub config: Arc<Config>,
    /// Cookie-signing and encryption keys.
    pub keys: Keys,
    /// The time source.
    pub clock: Arc<dyn Clock>,
    /// Console templates.
    pub templates: Arc<Templates>,
    /// Compiled auto-reply configurations, each checked against the account's version.
    pub responders: Arc<crate::wechat::replies::ResponderCache>,
    /// Each tenant's identity graph, following the database's change log.
    pub identities: Arc<crate::identity::Graphs>,
    /// Each tenant's audience index, following the database's change feed.
    pub audiences: Arc<crate::audience::Audiences>,
    /// Official Accounts as the callback endpoint needs them, read once.
    pub callback_accounts: Arc<crate::wechat::accounts::CallbackAccounts>,
    /// Callbacks waiting to be recorded together (group commit).
    pub callbacks: Arc<crate::wechat::group::GroupCommit>,
}

impl AppState {
    /// Now, in Unix milliseconds.
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
