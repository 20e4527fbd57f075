//! Access-token contracts: `/cgi-bin/token`, `/cgi-bin/stable_token` and the token check.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{errcode, Wx, APP_ID, SECRET};
use serde_json::{json, Value};
use siyu_fake_wechat::FakeConfig;

const CLASSIC: [(&str, &str); 3] = [
    ("grant_type", "client_credential"),
    ("appid", APP_ID),
    ("secret", SECRET),
];

fn token(v: &Value) -> String {
    v["access_token"].as_str().expect("access_token").to_owned()
}

#[tokio::test]
async fn classic_token_is_new_every_call_and_invalidates_the_previous_one() {
    let wx = Wx::without_token(FakeConfig::new()).await;
    let a = wx.raw_get("/cgi-bin/token", &CLASSIC).await;
    assert_eq!(a["expires_in"], 7200);
    assert!(
        a.get("errcode").is_none(),
        "success bodies carry no errcode"
    );
    let b = wx.raw_get("/cgi-bin/token", &CLASSIC).await;
    assert_ne!(token(&a), token(&b));
    assert!(token(&a).len() > 100);

    let old = wx
        .raw_get("/cgi-bin/tags/get", &[("access_token", &token(&a))])
        .await;
    assert_eq!(
        old,
        json!({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"})
    );
    let new = wx
        .raw_get("/cgi-bin/tags/get", &[("access_token", &token(&b))])
        .await;
    assert_eq!(errcode(&new), 0);
    assert_eq!(wx.fake.token_fetches(), 2);
    assert_eq!(wx.fake.tokens_issued(), vec![token(&a), token(&b)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stable_token_is_shared_by_concurrent_callers() {
    let wx = Wx::start(FakeConfig::new()).await;
    let url = wx.url("/cgi-bin/stable_token");
    let body = json!({"grant_type": "client_credential", "appid": APP_ID, "secret": SECRET, "force_refresh": false});
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (http, url, body) = (wx.http.clone(), url.clone(), body.clone());
            tokio::spawn(async move {
                let resp = http.post(url).json(&body).send().await.unwrap();
                resp.json::<Value>().await.unwrap()
            })
        })
        .collect();
    for task in tasks {
        let answer = task.await.unwrap();
        assert_eq!(token(&answer), wx.token);
        let left = answer["expires_in"].as_i64().unwrap();
        assert!((7190..=7200).contains(&left), "{left}");
    }
    assert_eq!(wx.fake.token_fetches(), 51);
    assert_eq!(wx.fake.tokens_issued().len(), 1);
}

#[tokio::test]
async fn force_refresh_invalidates_and_is_rate_limited() {
    let wx = Wx::start(FakeConfig::new()).await;
    let forced = wx.stable_token(true).await;
    assert_ne!(token(&forced), wx.token);
    assert_eq!(forced["expires_in"], 7200);
    let old = wx
        .raw_get("/cgi-bin/menu/get", &[("access_token", &wx.token)])
        .await;
    assert_eq!(errcode(&old), 40001);
    let again = wx.stable_token(true).await;
    assert_eq!(errcode(&again), 45011, "force_refresh at most every 30 s");
    wx.fake.advance_clock(Duration::from_secs(31));
    assert_ne!(token(&wx.stable_token(true).await), token(&forced));
    // Normal mode then returns the current token.
    let normal = wx.stable_token(false).await;
    assert_eq!(wx.fake.tokens_issued().last(), Some(&token(&normal)));
}

#[tokio::test]
async fn stable_token_wants_post_json() {
    let wx = Wx::without_token(FakeConfig::new()).await;
    let get = wx.raw_get("/cgi-bin/stable_token", &CLASSIC).await;
    assert_eq!(
        get,
        json!({"errcode": 43002, "errmsg": "require POST method"})
    );
    let url = wx.url("/cgi-bin/stable_token");
    let empty: Value = wx
        .http
        .post(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(errcode(&empty), 44002);
    let bad: Value = wx
        .http
        .post(&url)
        .body("{not json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(errcode(&bad), 47001);
    let grant = wx
        .raw_post(
            "/cgi-bin/stable_token",
            &[],
            json!({"grant_type": "password", "appid": APP_ID, "secret": SECRET}),
        )
        .await;
    assert_eq!(errcode(&grant), 40002);
}

#[tokio::test]
async fn fixed_credentials_are_enforced() {
    let wx = Wx::without_token(FakeConfig::new().with_credentials(APP_ID, SECRET)).await;
    let body = |appid: &str, secret: &str| json!({"grant_type": "client_credential", "appid": appid, "secret": secret});
    let path = "/cgi-bin/stable_token";
    let bad_id = wx.raw_post(path, &[], body("wxother", SECRET)).await;
    assert_eq!(bad_id, json!({"errcode": 40013, "errmsg": "invalid appid"}));
    let bad_secret = wx.raw_post(path, &[], body(APP_ID, "nope")).await;
    assert_eq!(
        bad_secret,
        json!({"errcode": 40125, "errmsg": "invalid appsecret"})
    );
    assert_eq!(
        errcode(
            &wx.raw_post(
                path,
                &[],
                json!({"grant_type": "client_credential", "secret": SECRET})
            )
            .await
        ),
        41002
    );
    let classic = wx
        .raw_get(
            "/cgi-bin/token",
            &[
                ("grant_type", "client_credential"),
                ("appid", APP_ID),
                ("secret", "x"),
            ],
        )
        .await;
    assert_eq!(errcode(&classic), 40125);
    assert!(wx.fake.tokens_issued().is_empty());

    // Without fixed credentials any pair works.
    let open = Wx::without_token(FakeConfig::new()).await;
    assert!(open.raw_post(path, &[], body("wxany", "any")).await["access_token"].is_string());
}

#[tokio::test]
async fn every_api_checks_the_access_token() {
    let wx = Wx::start(FakeConfig::new()).await;
    let missing = wx.raw_get("/cgi-bin/user/get", &[]).await;
    assert_eq!(
        missing,
        json!({"errcode": 41001, "errmsg": "access_token missing"})
    );
    let bogus = wx
        .raw_get("/cgi-bin/user/get", &[("access_token", "bogus")])
        .await;
    assert_eq!(errcode(&bogus), 40001);
    assert_eq!(errcode(&wx.get("/cgi-bin/user/get", &[]).await), 0);

    wx.fake.expire_tokens();
    let expired = wx.get("/cgi-bin/user/get", &[]).await;
    assert_eq!(
        expired,
        json!({"errcode": 42001, "errmsg": "access_token expired"})
    );
    let fresh = token(&wx.stable_token(false).await);
    assert_ne!(fresh, wx.token, "an expired stable token is replaced");
    let ok = wx
        .raw_get("/cgi-bin/user/get", &[("access_token", &fresh)])
        .await;
    assert_eq!(errcode(&ok), 0);

    wx.fake.revoke_tokens();
    let revoked = wx
        .raw_get("/cgi-bin/user/get", &[("access_token", &fresh)])
        .await;
    assert_eq!(errcode(&revoked), 40001);
}

#[tokio::test]
async fn token_ttl_is_configurable() {
    let wx = Wx::without_token(FakeConfig::new().with_token_ttl(Duration::from_secs(2))).await;
    let t = wx.stable_token(false).await;
    assert_eq!(t["expires_in"], 2);
    let q = [("access_token", t["access_token"].as_str().unwrap())];
    assert_eq!(errcode(&wx.raw_get("/cgi-bin/tags/get", &q).await), 0);
    wx.fake.advance_clock(Duration::from_secs(3));
    assert_eq!(errcode(&wx.raw_get("/cgi-bin/tags/get", &q).await), 42001);
}
