//! The request pipeline: injected failures, rate limits, unknown paths, call inspection,
//! latency, `/_fake/*` and `serve`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{errcode, Wx, APP_ID, SECRET};
use serde_json::{json, Value};
use siyu_fake_wechat::{serve, FakeConfig, RateLimit};

#[tokio::test]
async fn injected_failures_come_first_and_in_order() {
    let wx = Wx::start(FakeConfig::new()).await;
    wx.fake.fail_next("/cgi-bin/tags/get", -1, 2);
    wx.fake.fail_next("/cgi-bin/tags/get", 45009, 1);
    wx.fake.fail_next("/cgi-bin/stable_token", 40001, 1);
    let answers: Vec<Value> = [
        wx.get("/cgi-bin/tags/get", &[]).await,
        wx.raw_get("/cgi-bin/tags/get", &[]).await, // even without a token
        wx.get("/cgi-bin/tags/get", &[]).await,
    ]
    .into();
    assert_eq!(answers[0], json!({"errcode": -1, "errmsg": "system error"}));
    assert_eq!(errcode(&answers[1]), -1);
    assert_eq!(
        answers[2],
        json!({"errcode": 45009, "errmsg": "api freq out of limit"})
    );
    assert_eq!(errcode(&wx.get("/cgi-bin/tags/get", &[]).await), 0);
    assert_eq!(errcode(&wx.stable_token(false).await), 40001);
    assert!(wx.stable_token(false).await["access_token"].is_string());

    let log = wx.fake.calls_to("/cgi-bin/tags/get");
    let codes: Vec<i64> = log.iter().map(|c| c.errcode).collect();
    assert_eq!(codes, [-1, -1, 45009, 0]);
    assert_eq!(log[0].access_token.as_deref(), Some(wx.token.as_str()));
    assert_eq!(log[1].access_token, None);
    assert_eq!(wx.fake.calls("/cgi-bin/tags/get"), 4);
    assert_eq!(wx.fake.token_fetches(), 3);
}

#[tokio::test]
async fn rate_limits_answer_45009() {
    let config = FakeConfig::new().with_rate_limit("/cgi-bin/user/get", RateLimit::per_second(3));
    let wx = Wx::start(config).await;
    let mut codes = Vec::new();
    for _ in 0..5 {
        codes.push(errcode(&wx.get("/cgi-bin/user/get", &[]).await));
    }
    assert_eq!(codes, [0, 0, 0, 45009, 45009]);
    assert_eq!(
        errcode(&wx.get("/cgi-bin/tags/get", &[]).await),
        0,
        "per path"
    );
    wx.fake.advance_clock(Duration::from_millis(1100));
    assert_eq!(errcode(&wx.get("/cgi-bin/user/get", &[]).await), 0);
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_answer_wechat_json() {
    let wx = Wx::start(FakeConfig::new()).await;
    let unknown = wx.get("/cgi-bin/does/not/exist", &[]).await;
    assert_eq!(
        unknown,
        json!({"errcode": 48001, "errmsg": "api unauthorized"})
    );
    let unknown_post = wx.post("/sns/whatever", json!({})).await;
    assert_eq!(errcode(&unknown_post), 48001);
    assert_eq!(
        errcode(&wx.post("/cgi-bin/user/get", json!({})).await),
        43001
    );
    let resp = wx
        .http
        .get(wx.url("/cgi-bin/tags/create"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(errcode(&resp.json().await.unwrap()), 43002);
    assert_eq!(wx.fake.call_counts()["/cgi-bin/does/not/exist"], 1);
}

#[tokio::test]
async fn latency_knob_delays_one_path() {
    let config =
        FakeConfig::new().with_latency("/cgi-bin/stable_token", Duration::from_millis(300));
    let wx = Wx::without_token(config).await;
    let started = Instant::now();
    wx.stable_token(false).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    wx.raw_get("/cgi-bin/user/get", &[]).await;
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn serve_with_http_controls_and_shutdown() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = FakeConfig::new()
        .with_credentials(APP_ID, SECRET)
        .with_followers(2);
    let server = tokio::spawn(serve(listener, config, async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| http.post(format!("{base}{path}")).json(&body).send();

    let token: Value = post(
        "/cgi-bin/stable_token",
        json!({"grant_type": "client_credential", "appid": APP_ID, "secret": SECRET}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    let send = |to: String| {
        let url = format!("{base}/cgi-bin/message/custom/send?access_token={token}");
        http.post(url)
            .json(&json!({"touser": to, "msgtype": "text", "text": {"content": "hi"}}))
            .send()
    };
    let list: Value = http
        .get(format!("{base}/cgi-bin/user/get?access_token={token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let openid = list["data"]["openid"][0].as_str().unwrap().to_owned();
    let closed: Value = send(openid.clone()).await.unwrap().json().await.unwrap();
    assert_eq!(errcode(&closed), 45015);

    post("/_fake/touch", json!({"openid": openid}))
        .await
        .unwrap();
    let sent: Value = send(openid.clone()).await.unwrap().json().await.unwrap();
    assert_eq!(errcode(&sent), 0);
    post(
        "/_fake/fail_next",
        json!({"path": "/cgi-bin/message/custom/send", "errcode": -1}),
    )
    .await
    .unwrap();
    assert_eq!(
        errcode(&send(openid.clone()).await.unwrap().json().await.unwrap()),
        -1
    );
    post("/_fake/expire_tokens", json!({})).await.unwrap();
    assert_eq!(
        errcode(&send(openid).await.unwrap().json().await.unwrap()),
        42001
    );

    let stats: Value = http
        .get(format!("{base}/_fake/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["token_fetches"], 1);
    assert_eq!(stats["custom_messages"], 1);
    assert_eq!(stats["followers"], 2);
    assert_eq!(stats["calls"]["/cgi-bin/message/custom/send"], 4);

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("server stops")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn shutdown_stops_the_spawned_server() {
    let wx = Wx::without_token(FakeConfig::new()).await;
    let url = wx.url("/cgi-bin/user/get");
    let http = reqwest::Client::new();
    assert!(http.get(&url).send().await.is_ok());
    wx.fake.shutdown().await;
    let fresh = reqwest::Client::new();
    assert!(fresh.get(&url).send().await.is_err());
}
