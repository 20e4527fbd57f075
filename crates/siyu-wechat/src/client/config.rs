//! Client configuration.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use super::ratelimit::RateLimit;

/// Default API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.weixin.qq.com";

/// Bounded exponential backoff for WeChat's "busy" (-1) and quota (45009, 45011) codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// Delay before the first retry; doubled each time.
    pub base_delay: Duration,
    /// Upper bound for any single delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// Delay before retry number `attempt` (0-based): `min(base · 2^attempt, max)`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Configuration of a [`WechatClient`](super::WechatClient). `Debug` redacts the secret.
#[derive(Clone)]
pub struct ClientConfig {
    /// The AppID.
    pub app_id: String,
    /// The AppSecret (never logged).
    pub app_secret: String,
    /// API base URL without trailing slash (tests point it at a fake server).
    pub base_url: String,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Refresh the token when it has less than this left (stable_token rotates 5 min early).
    pub refresh_margin: Duration,
    /// Retry policy for busy / quota errors and transport failures of idempotent calls.
    pub retry: RetryPolicy,
    /// Per-API rate limits keyed by path (e.g. `/cgi-bin/message/mass/sendall`).
    pub rate_limits: HashMap<String, RateLimit>,
    /// Limit applied to paths without their own entry (`None`: unlimited).
    pub default_rate_limit: Option<RateLimit>,
}

impl ClientConfig {
    /// Defaults for `app_id` / `app_secret`: the official base URL, 10 s timeout,
    /// 5 min refresh margin, 3 retries and 60/min for the mass-send APIs.
    pub fn new(app_id: impl Into<String>, app_secret: impl Into<String>) -> Self {
        let mut rate_limits = HashMap::new();
        for path in [
            "/cgi-bin/message/mass/sendall",
            "/cgi-bin/message/mass/send",
        ] {
            rate_limits.insert(path.to_owned(), RateLimit::per_minute(60));
        }
        ClientConfig {
            app_id: app_id.into(),
            app_secret: app_secret.into(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Duration::from_secs(10),
            refresh_margin: Duration::from_secs(300),
            retry: RetryPolicy::default(),
            rate_limits,
            default_rate_limit: None,
        }
    }

    /// Sets the base URL (a trailing `/` is removed).
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets a rate limit for one API path.
    pub fn with_rate_limit(mut self, path: impl Into<String>, limit: RateLimit) -> Self {
        self.rate_limits.insert(path.into(), limit);
        self
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("app_id", &self.app_id)
            .field("app_secret", &"<redacted>")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("refresh_margin", &self.refresh_margin)
            .field("retry", &self.retry)
            .field("rate_limits", &self.rate_limits)
            .field("default_rate_limit", &self.default_rate_limit)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secret_and_backoff_is_bounded() {
        let c = ClientConfig::new("wx1", "s3cr3t").with_base_url("http://x/");
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert_eq!(c.base_url, "http://x");
        let r = RetryPolicy::default();
        assert_eq!(r.delay(0), Duration::from_millis(200));
        assert_eq!(r.delay(2), Duration::from_millis(800));
        assert_eq!(r.delay(40), Duration::from_secs(5));
    }
}
