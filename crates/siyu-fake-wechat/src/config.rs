//! [`FakeConfig`]: the knobs of one fake instance.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

/// Default access-token lifetime (WeChat's 7200 s).
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(7200);
/// Default `user/get` / `user/tag/get` page size (WeChat's 10,000).
pub const DEFAULT_PAGE_SIZE: usize = 10_000;
/// Default mass sends per calendar month (a service account's 4).
pub const DEFAULT_MASS_MONTHLY_QUOTA: u32 = 4;
/// Default RNG seed.
pub const DEFAULT_SEED: u64 = 0x5159_5500_2024;

/// A call budget for one API path: at most `max_calls` accepted calls in any `window`.
/// Calls over the budget get errcode 45009.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls allowed per window.
    pub max_calls: u32,
    /// Sliding window length.
    pub window: Duration,
}

impl RateLimit {
    /// `n` calls per second.
    pub fn per_second(n: u32) -> Self {
        RateLimit {
            max_calls: n,
            window: Duration::from_secs(1),
        }
    }

    /// `n` calls per minute.
    pub fn per_minute(n: u32) -> Self {
        RateLimit {
            max_calls: n,
            window: Duration::from_secs(60),
        }
    }

    /// `n` calls per day (WeChat's daily quotas).
    pub fn per_day(n: u32) -> Self {
        RateLimit {
            max_calls: n,
            window: Duration::from_secs(86_400),
        }
    }
}

/// Configuration of one fake instance. Build with [`FakeConfig::new`] and the `with_*`
/// methods; `Debug` redacts the secret.
#[derive(Clone)]
pub struct FakeConfig {
    /// Fixed `(app_id, secret)`; other credentials get 40013 / 40125. `None` accepts any pair.
    pub credentials: Option<(String, String)>,
    /// Lifetime of issued access tokens (`expires_in`).
    pub token_ttl: Duration,
    /// Per-path budgets (keyed by path such as `/cgi-bin/user/info`); over budget → 45009.
    pub rate_limits: HashMap<String, RateLimit>,
    /// Number of seeded followers. With 0 any OpenID is accepted and gets a synthesized
    /// profile; otherwise unknown OpenIDs get 40003.
    pub followers: usize,
    /// RNG seed: followers, tokens, ids and tickets are reproducible per seed.
    pub seed: u64,
    /// Page size of `user/get` and `user/tag/get`.
    pub page_size: usize,
    /// Accepted mass sends per calendar month (Beijing time); more → 45028.
    pub mass_monthly_quota: u32,
    /// Artificial delay per path before the request is handled.
    pub latency: HashMap<String, Duration>,
    /// Treat every user as inside the 48 h customer-service window (no 45015 / 45047).
    pub open_service_window: bool,
    /// Add the pre-2021 profile fields (nickname, sex, city, province, country,
    /// headimgurl) to `user/info`.
    pub legacy_profile: bool,
    /// Known template ids; when non-empty other ids get 40037.
    pub templates: Vec<String>,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            credentials: None,
            token_ttl: DEFAULT_TOKEN_TTL,
            rate_limits: HashMap::new(),
            followers: 0,
            seed: DEFAULT_SEED,
            page_size: DEFAULT_PAGE_SIZE,
            mass_monthly_quota: DEFAULT_MASS_MONTHLY_QUOTA,
            latency: HashMap::new(),
            open_service_window: false,
            legacy_profile: false,
            templates: Vec::new(),
        }
    }
}

impl FakeConfig {
    /// Defaults: any credentials, 7200 s tokens, no followers, no rate limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accept only this AppID / AppSecret pair.
    pub fn with_credentials(
        mut self,
        app_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        self.credentials = Some((app_id.into(), secret.into()));
        self
    }

    /// Sets the access-token lifetime.
    pub fn with_token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// Limits calls to `path`.
    pub fn with_rate_limit(mut self, path: impl Into<String>, limit: RateLimit) -> Self {
        self.rate_limits.insert(path.into(), limit);
        self
    }

    /// Seeds `n` deterministic followers.
    pub fn with_followers(mut self, n: usize) -> Self {
        self.followers = n;
        self
    }

    /// Sets the RNG seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the follower page size (at least 1).
    pub fn with_page_size(mut self, n: usize) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// Sets the monthly mass-send quota.
    pub fn with_mass_monthly_quota(mut self, n: u32) -> Self {
        self.mass_monthly_quota = n;
        self
    }

    /// Delays every request to `path` by `delay`.
    pub fn with_latency(mut self, path: impl Into<String>, delay: Duration) -> Self {
        self.latency.insert(path.into(), delay);
        self
    }

    /// Keeps every user's customer-service window open.
    pub fn with_open_service_window(mut self) -> Self {
        self.open_service_window = true;
        self
    }

    /// Returns the legacy profile fields from `user/info`.
    pub fn with_legacy_profile(mut self) -> Self {
        self.legacy_profile = true;
        self
    }

    /// Registers a template id (once any is registered, unknown ids get 40037).
    pub fn with_template(mut self, template_id: impl Into<String>) -> Self {
        self.templates.push(template_id.into());
        self
    }
}

impl fmt::Debug for FakeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credentials = self
            .credentials
            .as_ref()
            .map(|(app_id, _)| (app_id.as_str(), "<redacted>"));
        f.debug_struct("FakeConfig")
            .field("credentials", &credentials)
            .field("token_ttl", &self.token_ttl)
            .field("rate_limits", &self.rate_limits)
            .field("followers", &self.followers)
            .field("seed", &self.seed)
            .field("page_size", &self.page_size)
            .field("mass_monthly_quota", &self.mass_monthly_quota)
            .field("latency", &self.latency)
            .field("open_service_window", &self.open_service_window)
            .field("legacy_profile", &self.legacy_profile)
            .field("templates", &self.templates)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_and_redaction() {
        let c = FakeConfig::new()
            .with_credentials("wx1", "s3cr3t")
            .with_page_size(0)
            .with_rate_limit("/cgi-bin/user/info", RateLimit::per_second(5));
        assert_eq!(c.page_size, 1);
        assert_eq!(c.rate_limits["/cgi-bin/user/info"].max_calls, 5);
        let dbg = format!("{c:?}");
        assert!(dbg.contains("wx1") && !dbg.contains("s3cr3t"));
    }
}
