//! Access-token state (WECHAT.md 2.1): classic `/cgi-bin/token`, `stable_token`, and the
//! check every API runs first.

use std::collections::HashMap;
use std::time::Duration;

use rand::rngs::StdRng;
use serde_json::json;

use crate::errors::{
    fail, ApiError, ApiResult, ACCESS_TOKEN_EXPIRED, ACCESS_TOKEN_MISSING, API_QUOTA,
    INVALID_CREDENTIAL, MINUTE_QUOTA,
};
use crate::ids;

/// stable_token rotates this long before expiry (5 min; half the lifetime if shorter).
const ROTATE_BEFORE_MS: i64 = 300_000;
/// `force_refresh: true` is allowed 20 times a day …
const FORCE_PER_DAY: usize = 20;
/// … and at least 30 s apart.
const FORCE_MIN_GAP_MS: i64 = 30_000;
const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Classic,
    Stable,
}

#[derive(Debug)]
struct Issued {
    expires_at_ms: i64,
    revoked: bool,
}

/// All tokens ever issued by one fake, per AppID and kind (the two kinds are isolated).
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    issued: HashMap<String, Issued>,
    latest: HashMap<(String, Kind), String>,
    force_refreshes: HashMap<String, Vec<i64>>,
    order: Vec<String>,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)
}

fn ceil_secs(ms: i64) -> i64 {
    (ms + 999) / 1000
}

impl Tokens {
    /// 41001 when missing, 40001 when unknown or invalidated, 42001 when expired.
    pub(crate) fn check(&self, token: Option<&str>, now_ms: i64) -> Result<(), ApiError> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return fail(ACCESS_TOKEN_MISSING);
        };
        match self.issued.get(token) {
            None => fail(INVALID_CREDENTIAL),
            Some(t) if t.revoked => fail(INVALID_CREDENTIAL),
            Some(t) if now_ms >= t.expires_at_ms => fail(ACCESS_TOKEN_EXPIRED),
            Some(_) => Ok(()),
        }
    }

    fn issue(
        &mut self,
        rng: &mut StdRng,
        app_id: &str,
        kind: Kind,
        ttl_ms: i64,
        now_ms: i64,
    ) -> String {
        let token = ids::access_token(rng);
        self.issued.insert(
            token.clone(),
            Issued {
                expires_at_ms: now_ms.saturating_add(ttl_ms),
                revoked: false,
            },
        );
        self.latest.insert((app_id.to_owned(), kind), token.clone());
        self.order.push(token.clone());
        token
    }

    fn revoke_latest(&mut self, app_id: &str, kind: Kind) {
        if let Some(old) = self.latest.get(&(app_id.to_owned(), kind)) {
            if let Some(t) = self.issued.get_mut(old) {
                t.revoked = true;
            }
        }
    }

    /// `/cgi-bin/token`: a new token on every call; the app's previous classic token stops
    /// working (40001), so uncoordinated fetchers invalidate each other.
    pub(crate) fn classic(
        &mut self,
        rng: &mut StdRng,
        app_id: &str,
        ttl: Duration,
        now_ms: i64,
    ) -> ApiResult {
        self.revoke_latest(app_id, Kind::Classic);
        let ttl_ms = millis(ttl);
        let token = self.issue(rng, app_id, Kind::Classic, ttl_ms, now_ms);
        Ok(json!({"access_token": token, "expires_in": ceil_secs(ttl_ms)}))
    }

    /// `stable_token`: the current token while it has more than the rotation window left
    /// (with the remaining `expires_in`), a new one otherwise (the old one stays valid until
    /// it expires). `force_refresh` invalidates the current token: 20/day, ≥ 30 s apart.
    pub(crate) fn stable(
        &mut self,
        rng: &mut StdRng,
        app_id: &str,
        ttl: Duration,
        force: bool,
        now_ms: i64,
    ) -> ApiResult {
        let ttl_ms = millis(ttl);
        if force {
            let times = self.force_refreshes.entry(app_id.to_owned()).or_default();
            times.retain(|t| now_ms - t < DAY_MS);
            if times.len() >= FORCE_PER_DAY {
                return fail(API_QUOTA);
            }
            if times.last().is_some_and(|t| now_ms - t < FORCE_MIN_GAP_MS) {
                return fail(MINUTE_QUOTA);
            }
            times.push(now_ms);
            self.revoke_latest(app_id, Kind::Stable);
        } else if let Some(token) = self.latest.get(&(app_id.to_owned(), Kind::Stable)) {
            if let Some(t) = self.issued.get(token).filter(|t| !t.revoked) {
                let remaining = t.expires_at_ms - now_ms;
                if remaining > ROTATE_BEFORE_MS.min(ttl_ms / 2) {
                    return Ok(json!({"access_token": token, "expires_in": ceil_secs(remaining)}));
                }
            }
        }
        let token = self.issue(rng, app_id, Kind::Stable, ttl_ms, now_ms);
        Ok(json!({"access_token": token, "expires_in": ceil_secs(ttl_ms)}))
    }

    /// Makes every issued token expire now (42001 from then on).
    pub(crate) fn expire_all(&mut self, now_ms: i64) {
        for t in self.issued.values_mut() {
            t.expires_at_ms = t.expires_at_ms.min(now_ms);
        }
    }

    /// Invalidates every issued token (40001 from then on).
    pub(crate) fn revoke_all(&mut self) {
        for t in self.issued.values_mut() {
            t.revoked = true;
        }
    }

    /// Every token issued, oldest first.
    pub(crate) fn issued(&self) -> &[String] {
        &self.order
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn token(v: &serde_json::Value) -> String {
        v["access_token"].as_str().unwrap().to_owned()
    }

    #[test]
    fn stable_reuses_rotates_and_force_refreshes() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut t = Tokens::default();
        let ttl = Duration::from_secs(7200);
        let a = t.stable(&mut rng, "wx", ttl, false, 0).unwrap();
        let b = t.stable(&mut rng, "wx", ttl, false, 1_000_000).unwrap();
        assert_eq!(token(&a), token(&b));
        assert_eq!(b["expires_in"], 6200);
        // Inside the 5-minute rotation window: a new token, the old one still valid.
        let c = t.stable(&mut rng, "wx", ttl, false, 7_000_000).unwrap();
        assert_ne!(token(&a), token(&c));
        assert!(t.check(Some(&token(&a)), 7_000_001).is_ok());
        assert_eq!(
            t.check(Some(&token(&a)), 7_200_000).unwrap_err().errcode,
            42001
        );
        // force_refresh invalidates the current one; a second within 30 s is refused.
        let d = t.stable(&mut rng, "wx", ttl, true, 7_100_000).unwrap();
        assert_eq!(
            t.check(Some(&token(&c)), 7_100_001).unwrap_err().errcode,
            40001
        );
        assert!(t.check(Some(&token(&d)), 7_100_001).is_ok());
        let e = t.stable(&mut rng, "wx", ttl, true, 7_110_000).unwrap_err();
        assert_eq!(e.errcode, 45011);
        assert_eq!(t.check(None, 0).unwrap_err().errcode, 41001);
    }

    #[test]
    fn classic_invalidates_previous() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut t = Tokens::default();
        let ttl = Duration::from_secs(7200);
        let a = token(&t.classic(&mut rng, "wx", ttl, 0).unwrap());
        let b = token(&t.classic(&mut rng, "wx", ttl, 0).unwrap());
        assert_eq!(t.check(Some(&a), 1).unwrap_err().errcode, 40001);
        assert!(t.check(Some(&b), 1).is_ok());
        assert_eq!(t.issued().len(), 2);
    }
}
