//! `GET /cgi-bin/token` and `POST /cgi-bin/stable_token` (WECHAT.md 2.1).

use serde_json::Value;

use super::{str_field, Req};
use crate::errors::{
    fail, ApiError, ApiResult, APPID_MISSING, APPSECRET_MISSING, INVALID_APPID, INVALID_APPSECRET,
    INVALID_GRANT_TYPE,
};
use crate::state::World;

/// The classic token endpoint.
pub(crate) const CLASSIC_PATH: &str = "/cgi-bin/token";
/// The stable token endpoint.
pub(crate) const STABLE_PATH: &str = "/cgi-bin/stable_token";

/// Validates grant type and credentials; returns the AppID.
fn credentials<'a>(
    w: &World,
    grant_type: Option<&str>,
    appid: Option<&'a str>,
    secret: Option<&str>,
) -> Result<&'a str, ApiError> {
    if grant_type != Some("client_credential") {
        return fail(INVALID_GRANT_TYPE);
    }
    let Some(appid) = appid.filter(|a| !a.is_empty()) else {
        return fail(APPID_MISSING);
    };
    let Some(secret) = secret.filter(|s| !s.is_empty()) else {
        return fail(APPSECRET_MISSING);
    };
    if let Some((want_id, want_secret)) = &w.config.credentials {
        if appid != want_id {
            return fail(INVALID_APPID);
        }
        if secret != want_secret {
            return fail(INVALID_APPSECRET);
        }
    }
    Ok(appid)
}

/// `GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=…`.
pub(crate) fn classic(w: &mut World, r: &Req<'_>) -> ApiResult {
    let appid = credentials(
        w,
        r.query("grant_type"),
        r.query("appid"),
        r.query("secret"),
    )?;
    let ttl = w.config.token_ttl;
    w.tokens.classic(&mut w.rng, appid, ttl, r.now_ms)
}

/// `POST /cgi-bin/stable_token` with a JSON body (GET gets 43002).
pub(crate) fn stable(w: &mut World, r: &Req<'_>) -> ApiResult {
    let body = r.json()?;
    let appid = credentials(
        w,
        str_field(&body, "grant_type"),
        str_field(&body, "appid"),
        str_field(&body, "secret"),
    )?;
    let force = matches!(body.get("force_refresh"), Some(Value::Bool(true)));
    let ttl = w.config.token_ttl;
    w.tokens.stable(&mut w.rng, appid, ttl, force, r.now_ms)
}
