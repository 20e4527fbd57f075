//! HTTP transport: one request, errcode checking, busy/quota retries and rate limiting.

use std::future::Future;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::config::ClientConfig;
use super::ratelimit::RateLimiter;
use crate::error::{Result, WechatError};

/// errcodes that mean "this access_token is invalid or expired": refresh once and replay.
pub const TOKEN_ERRCODES: [i64; 3] = [40001, 40014, 42001];
/// errcodes retried with exponential backoff: system busy and frequency/quota limits.
pub const RETRY_ERRCODES: [i64; 3] = [-1, 45009, 45011];

/// A multipart file part, rebuilt for every attempt (forms are not cloneable).
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub(crate) field: &'static str,
    pub(crate) filename: String,
    pub(crate) content_type: String,
    pub(crate) bytes: Vec<u8>,
}

/// A request body.
#[derive(Debug, Clone)]
pub(crate) enum Payload {
    Empty,
    Json(Value),
    Multipart(Upload),
}

/// Per-call policy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallOpts {
    /// Retry on busy/quota codes and transport errors (only for idempotent calls).
    pub(crate) retry: bool,
    /// errcodes treated as success (e.g. 45065 for mass send with a reused clientmsgid).
    pub(crate) ok_codes: &'static [i64],
}

impl CallOpts {
    pub(crate) const IDEMPOTENT: CallOpts = CallOpts {
        retry: true,
        ok_codes: &[],
    };
    pub(crate) const ONCE: CallOpts = CallOpts {
        retry: false,
        ok_codes: &[],
    };
}

pub(crate) struct Transport {
    pub(crate) http: reqwest::Client,
    pub(crate) config: ClientConfig,
    pub(crate) limiter: RateLimiter,
}

impl Transport {
    /// One HTTP exchange; returns the JSON body when `errcode` is absent, 0 or in `ok_codes`.
    pub(crate) async fn send_once(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, &str)],
        token: Option<&str>,
        payload: &Payload,
        ok_codes: &[i64],
    ) -> Result<Value> {
        let url = format!("{}{}", self.config.base_url, path);
        let mut req = self.http.request(method.clone(), url).query(query);
        if let Some(token) = token {
            req = req.query(&[("access_token", token)]);
        }
        req = match payload {
            Payload::Empty => req,
            Payload::Json(v) => req.json(v),
            Payload::Multipart(u) => {
                let part = reqwest::multipart::Part::bytes(u.bytes.clone())
                    .file_name(u.filename.clone())
                    .mime_str(&u.content_type)
                    .map_err(|_| WechatError::InvalidRequest("invalid content type"))?;
                req.multipart(reqwest::multipart::Form::new().part(u.field, part))
            }
        };
        let resp = req.send().await?.error_for_status()?;
        let bytes = resp.bytes().await?;
        let value: Value =
            serde_json::from_slice(&bytes).map_err(|e| WechatError::Decode(e.to_string()))?;
        check_errcode(value, ok_codes)
    }

    /// Runs `attempt` under the rate limiter, retrying retryable failures with backoff.
    pub(crate) async fn with_retry<F, Fut>(
        &self,
        path: &str,
        retry: bool,
        mut attempt: F,
    ) -> Result<Value>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Value>>,
    {
        let policy = self.config.retry;
        let mut n = 0;
        loop {
            self.limiter.acquire(path).await;
            match attempt().await {
                Err(e) if retry && n < policy.max_retries && is_retryable(&e) => {
                    let delay = policy.delay(n);
                    tracing::warn!(path, errcode = ?e.errcode(), ?delay, "WeChat call failed, retrying");
                    tokio::time::sleep(delay).await;
                    n += 1;
                }
                other => return other,
            }
        }
    }

    /// POST JSON without an access token (used for `stable_token`), with retries.
    pub(crate) async fn post_json_retrying(&self, path: &str, body: &Value) -> Result<Value> {
        let payload = Payload::Json(body.clone());
        self.with_retry(path, true, || {
            self.send_once(&Method::POST, path, &[], None, &payload, &[])
        })
        .await
    }
}

/// Turns `errcode != 0` into [`WechatError::Api`]; absent errcode counts as 0, string
/// errcodes are coerced.
pub(crate) fn check_errcode(value: Value, ok_codes: &[i64]) -> Result<Value> {
    let errcode = match value.get("errcode") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => n.as_i64().unwrap_or(-1),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(-1),
        Some(_) => -1,
    };
    if errcode == 0 || ok_codes.contains(&errcode) {
        return Ok(value);
    }
    let errmsg = value
        .get("errmsg")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Err(WechatError::Api { errcode, errmsg })
}

/// Decodes a checked JSON body into a typed response.
pub(crate) fn decode<T: DeserializeOwned>(value: Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| WechatError::Decode(e.to_string()))
}

fn is_retryable(e: &WechatError) -> bool {
    match e {
        WechatError::Api { errcode, .. } => RETRY_ERRCODES.contains(errcode),
        WechatError::Http(h) => {
            h.is_timeout() || h.is_connect() || h.status().is_some_and(|s| s.is_server_error())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errcode_handling() {
        assert!(check_errcode(json!({"access_token": "x"}), &[]).is_ok());
        assert!(check_errcode(json!({"errcode": 0, "errmsg": "ok"}), &[]).is_ok());
        let e = check_errcode(
            json!({"errcode": "40001", "errmsg": "invalid credential"}),
            &[],
        );
        assert!(matches!(e, Err(WechatError::Api { errcode: 40001, .. })));
        assert!(check_errcode(json!({"errcode": 45065, "msg_id": 1}), &[45065]).is_ok());
        assert!(is_retryable(&WechatError::Api {
            errcode: -1,
            errmsg: String::new()
        }));
        assert!(!is_retryable(&WechatError::Api {
            errcode: 40003,
            errmsg: String::new()
        }));
    }
}
