//! What every request goes through: call counting, injected failures, method and
//! access-token checks, rate limits, then the handler.

use std::collections::HashMap;

use axum::http::Method;
use serde_json::Value;

use crate::api::{self, Req, ReqBody};
use crate::errors::{fail, ApiError, ApiResult, API_QUOTA, API_UNAUTHORIZED};
use crate::records::CallRecord;
use crate::state::{World, LOG_CAP};

impl World {
    /// Handles one request and returns the JSON answer (always HTTP 200, like WeChat).
    pub(crate) fn handle(
        &mut self,
        method: &Method,
        path: &str,
        query: &HashMap<String, String>,
        body: &ReqBody,
    ) -> Value {
        let now_ms = self.now_ms();
        let req = Req {
            method,
            query,
            body,
            now_ms,
        };
        let result = self.route(path, &req);
        let errcode = match &result {
            Ok(v) => v.get("errcode").and_then(Value::as_i64).unwrap_or(0),
            Err(e) => e.errcode,
        };
        *self.calls.entry(path.to_owned()).or_default() += 1;
        if self.log.len() >= LOG_CAP {
            self.log.pop_front();
        }
        self.log.push_back(CallRecord {
            method: method.to_string(),
            path: path.to_owned(),
            access_token: query.get("access_token").cloned(),
            errcode,
            at_ms: now_ms,
        });
        if errcode != 0 {
            tracing::debug!(path, errcode, "fake wechat answered an error");
        }
        result.unwrap_or_else(|e| e.to_json())
    }

    fn route(&mut self, path: &str, req: &Req<'_>) -> ApiResult {
        if let Some(e) = self.take_failure(path) {
            return Err(e);
        }
        let Some(route) = api::find(path) else {
            return fail(API_UNAUTHORIZED);
        };
        route.verb.check(req.method)?;
        if route.auth {
            self.tokens.check(req.query("access_token"), req.now_ms)?;
        }
        self.rate_check(path, req.now_ms)?;
        (route.handler)(self, req)
    }

    /// Queues `times` answers of `errcode` for the next calls to `path`.
    pub(crate) fn fail_next(&mut self, path: &str, errcode: i64, times: u32) {
        if times > 0 {
            self.failures
                .entry(path.to_owned())
                .or_default()
                .push_back((errcode, times));
        }
    }

    fn take_failure(&mut self, path: &str) -> Option<ApiError> {
        let queue = self.failures.get_mut(path)?;
        let (errcode, times) = queue.front_mut()?;
        let err = ApiError::new(*errcode);
        *times -= 1;
        if *times == 0 {
            queue.pop_front();
        }
        Some(err)
    }

    /// 45009 when `path` already had its budget of calls in the sliding window.
    fn rate_check(&mut self, path: &str, now_ms: i64) -> Result<(), ApiError> {
        let Some(limit) = self.config.rate_limits.get(path).copied() else {
            return Ok(());
        };
        let window_ms = i64::try_from(limit.window.as_millis()).unwrap_or(i64::MAX);
        let calls = self.rate_windows.entry(path.to_owned()).or_default();
        while calls.front().is_some_and(|t| now_ms - t >= window_ms) {
            calls.pop_front();
        }
        if calls.len() >= usize::try_from(limit.max_calls).unwrap_or(usize::MAX) {
            return fail(API_QUOTA);
        }
        calls.push_back(now_ms);
        Ok(())
    }
}
