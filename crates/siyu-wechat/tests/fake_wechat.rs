//! Token, paging and retry behaviour of the client at scale, against `siyu-fake-wechat`.

#![cfg(feature = "client")]
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{client, config, start, tokens_used};
use siyu_fake_wechat::FakeConfig;
use siyu_wechat::client::{RetryPolicy, WechatClient};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_callers_fetch_exactly_one_token() {
    // A slow token endpoint, so that all callers pile up behind the first fetch.
    let config = FakeConfig::new()
        .with_followers(50)
        .with_latency("/cgi-bin/stable_token", Duration::from_millis(100));
    let fake = start(config).await;
    let client = client(&fake);
    let tasks: Vec<_> = fake
        .follower_openids()
        .into_iter()
        .map(|openid| {
            let c = client.clone();
            tokio::spawn(async move { (c.user_info(&openid, None).await, openid) })
        })
        .collect();
    for t in tasks {
        let (info, openid) = t.await.unwrap();
        let info = info.unwrap();
        assert_eq!((info.subscribe, info.openid), (1, openid));
    }
    assert_eq!(fake.token_fetches(), 1, "exactly one stable_token fetch");
    assert_eq!(fake.calls("/cgi-bin/user/info"), 50);
    let used: HashSet<String> = tokens_used(&fake, "/cgi-bin/user/info")
        .into_iter()
        .collect();
    assert_eq!(used.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follower_sync_of_100k_fans_pages_correctly() {
    let fake = start(FakeConfig::new().with_followers(100_000)).await;
    let all = client(&fake).all_followers().await.unwrap();
    assert_eq!(all.len(), 100_000);
    assert_eq!(all, fake.follower_openids(), "every OpenID, in order");
    assert_eq!(
        all.iter().collect::<HashSet<_>>().len(),
        100_000,
        "no duplicates"
    );
    // 10 full pages of 10,000 plus the terminal page (count 0, no data).
    assert_eq!(fake.calls("/cgi-bin/user/get"), 11);
    assert_eq!(fake.token_fetches(), 1);
}

#[tokio::test]
async fn injected_45009_backs_off_and_succeeds() {
    let fake = start(FakeConfig::new().with_followers(1)).await;
    let openid = fake.follower_openids().remove(0);
    let retry = RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(40),
        max_delay: Duration::from_secs(1),
    };
    let client = WechatClient::new(config(&fake).with_retry(retry)).unwrap();
    client.access_token().await.unwrap();
    fake.fail_next("/cgi-bin/user/info", 45009, 2);
    let started = Instant::now();
    let info = client.user_info(&openid, None).await.unwrap();
    assert_eq!(info.openid, openid);
    assert!(
        started.elapsed() >= Duration::from_millis(40 + 80),
        "backed off 40 ms then 80 ms, took {:?}",
        started.elapsed()
    );
    let codes: Vec<i64> = fake
        .calls_to("/cgi-bin/user/info")
        .iter()
        .map(|c| c.errcode)
        .collect();
    assert_eq!(codes, [45009, 45009, 0]);
    assert_eq!(fake.token_fetches(), 1, "45009 is not a token problem");
}

#[tokio::test]
async fn expired_token_mid_run_is_refreshed_once() {
    let fake = start(FakeConfig::new().with_followers(10)).await;
    let ids = fake.follower_openids();
    let client = client(&fake);
    for (i, openid) in ids.iter().enumerate() {
        if i == 5 {
            fake.expire_tokens();
        }
        assert_eq!(
            &client.user_info(openid, None).await.unwrap().openid,
            openid
        );
    }
    assert_eq!(fake.token_fetches(), 2, "one initial fetch, one refresh");
    let issued = fake.tokens_issued();
    assert_eq!(issued.len(), 2);
    let log = fake.calls_to("/cgi-bin/user/info");
    let codes: Vec<i64> = log.iter().map(|c| c.errcode).collect();
    assert_eq!(codes.iter().filter(|c| **c == 42001).count(), 1);
    assert_eq!(log.len(), 11, "10 calls + 1 replay");
    let used = tokens_used(&fake, "/cgi-bin/user/info");
    assert!(used[..6].iter().all(|t| *t == issued[0]));
    assert!(used[6..].iter().all(|t| *t == issued[1]));
}
