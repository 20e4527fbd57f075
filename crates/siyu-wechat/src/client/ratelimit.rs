//! A per-API token bucket.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// A token bucket: up to `burst` calls at once, refilled at `per_second` tokens per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Bucket capacity (burst size), at least 1.
    pub burst: u32,
    /// Refill rate in tokens per second.
    pub per_second: f64,
}

impl RateLimit {
    /// `n` calls per minute, bursting up to `n`.
    pub fn per_minute(n: u32) -> Self {
        RateLimit {
            burst: n.max(1),
            per_second: f64::from(n) / 60.0,
        }
    }

    /// `n` calls per second, bursting up to `n`.
    pub fn per_second(n: u32) -> Self {
        RateLimit {
            burst: n.max(1),
            per_second: f64::from(n),
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Waits until the bucket for an API path has a token.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limits: HashMap<String, RateLimit>,
    default: Option<RateLimit>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub(crate) fn new(limits: HashMap<String, RateLimit>, default: Option<RateLimit>) -> Self {
        RateLimiter {
            limits,
            default,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `path`, sleeping as needed. Unlimited paths return at once.
    pub(crate) async fn acquire(&self, path: &str) {
        let Some(limit) = self.limits.get(path).copied().or(self.default) else {
            return;
        };
        loop {
            match self.try_take(path, limit) {
                None => return,
                Some(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// `None` if a token was taken, else how long to wait for one.
    fn try_take(&self, path: &str, limit: RateLimit) -> Option<Duration> {
        let now = Instant::now();
        let burst = f64::from(limit.burst.max(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let b = buckets.entry(path.to_owned()).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * limit.per_second).min(burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            None
        } else if limit.per_second <= 0.0 {
            Some(Duration::from_secs(60))
        } else {
            Some(Duration::from_secs_f64((1.0 - b.tokens) / limit.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bursts_then_paces() {
        let mut limits = HashMap::new();
        limits.insert("/a".to_owned(), RateLimit::per_second(2));
        let rl = RateLimiter::new(limits, None);
        let start = Instant::now();
        for _ in 0..6 {
            rl.acquire("/a").await;
        }
        // 2 immediately, then 4 more at 2/s.
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(1990), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(2100), "{elapsed:?}");
        let t = Instant::now();
        rl.acquire("/unlimited").await;
        assert_eq!(t.elapsed(), Duration::ZERO);
    }
}
