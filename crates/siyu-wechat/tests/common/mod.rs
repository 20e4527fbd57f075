//! Helpers to run the API client against `siyu-fake-wechat`.

#![allow(dead_code, clippy::unwrap_used)] // test helpers outside #[test] fns

use std::time::Duration;

use siyu_fake_wechat::{spawn, FakeConfig, FakeWechat};
use siyu_wechat::client::{ClientConfig, RetryPolicy, WechatClient};

pub const APP_ID: &str = "wxfake0000000001";
pub const SECRET: &str = "fake-app-secret-do-not-log";

/// A fake that only accepts [`APP_ID`] / [`SECRET`].
pub async fn start(config: FakeConfig) -> FakeWechat {
    spawn(config.with_credentials(APP_ID, SECRET)).await
}

/// Client configuration for `fake` with fast retries (5 ms, doubling, 3 retries).
pub fn config(fake: &FakeWechat) -> ClientConfig {
    ClientConfig::new(APP_ID, SECRET)
        .with_base_url(fake.base_url())
        .with_retry(RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
        })
}

/// A client for `fake`.
pub fn client(fake: &FakeWechat) -> WechatClient {
    WechatClient::new(config(fake)).unwrap()
}

/// The access tokens the calls to `path` carried, in order.
pub fn tokens_used(fake: &FakeWechat, path: &str) -> Vec<String> {
    fake.calls_to(path)
        .into_iter()
        .map(|c| c.access_token.unwrap_or_default())
        .collect()
}
