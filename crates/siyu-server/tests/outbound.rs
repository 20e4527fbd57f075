//! siyu talking to WeChat (a local fake speaking WeChat's JSON and error codes): follower
//! sync, menu publication, and one access token shared by every node.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use siyu_fake_wechat::FakeConfig;
use siyu_store::testing::TestDb;
use siyu_store::Backend;
use support::{Start, TestApp};

const APP_ID: &str = "wx00000000000000f1";

async fn connect(app: &TestApp, key: &str) -> String {
    let (s, a) = app
        .call("POST", "/api/v1/wechat/accounts", key, Some(json!({"app_id": APP_ID, "app_secret": "0123456789abcdef0123456789abcdef", "token": "outToken", "mode": "plain"})))
        .await;
    assert_eq!(s, 201, "{a}");
    a["id"].as_str().unwrap().to_owned()
}

async fn wait_job(app: &TestApp, key: &str, job: &str) -> Value {
    for _ in 0..500 {
        let (_, j) = app.get(&format!("/api/v1/jobs/{job}"), key).await;
        if j["state"] == "done" || j["state"] == "failed" {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("job {job} did not finish");
}

async fn queue_drained(app: &TestApp) {
    for _ in 0..1000 {
        if siyu_store::jobs::queue_depth(&app.state.store)
            .await
            .unwrap()
            == 0
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("jobs still queued");
}

story!(
    follower_sync_imports_every_fan_once,
    a_saved_menu_reaches_wechat
);

async fn follower_sync_imports_every_fan_once(backend: Backend) {
    let fake = siyu_fake_wechat::spawn(
        FakeConfig::default()
            .with_followers(2_500)
            .with_page_size(1_000),
    )
    .await;
    let app = TestApp::spawn_with(backend, &[("SIYU_WECHAT_API_BASE", fake.base_url())]).await;
    let (_, key) = app.tenant("老粉丝").await;
    let account = connect(&app, &key).await;

    for run in 0..2 {
        let (s, started) = app
            .call(
                "POST",
                &format!("/api/v1/wechat/accounts/{account}/sync"),
                &key,
                None,
            )
            .await;
        assert_eq!(s, 202, "{started}");
        let first = wait_job(&app, &key, started["job_id"].as_str().unwrap()).await;
        assert_eq!(first["state"], "done", "{first}");
        queue_drained(&app).await;
        let (total, following) = siyu_store::customers::counts(
            &app.state.store,
            &siyu_domain::TenantId::parse(&tenant_of(&app, &key).await).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(
            (total, following),
            (2_500, 2_500),
            "run {run}: every follower once"
        );
    }
    assert_eq!(
        fake.calls("/cgi-bin/user/get"),
        2 * 4,
        "three pages and the empty end, twice"
    );

    let sample = &fake.follower_openids()[1_234];
    let f = fake.follower(sample).unwrap();
    let (_, found) = app
        .get(&format!("/api/v1/customers?identity=openid:{sample}"), &key)
        .await;
    let c = &found["items"][0];
    assert_eq!(c["following"], true);
    assert_eq!(c["followed_at"], f.subscribe_time * 1000);
    if let Some(unionid) = &f.unionid {
        let (_, by_union) = app
            .get(
                &format!("/api/v1/customers?identity=unionid:{unionid}"),
                &key,
            )
            .await;
        assert_eq!(
            by_union["items"][0]["id"], c["id"],
            "unionid points at the same profile"
        );
    }
    let tenant = siyu_domain::TenantId::parse(&tenant_of(&app, &key).await).unwrap();
    let history =
        siyu_store::customers::follow_history(&app.state.store, &tenant, c["id"].as_str().unwrap())
            .await
            .unwrap();
    assert_eq!(history.len(), 1, "a second sync adds no follow");
    app.stop().await;
}

async fn tenant_of(app: &TestApp, key: &str) -> String {
    app.get("/api/v1/tenant", key).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn a_saved_menu_reaches_wechat(backend: Backend) {
    let fake = siyu_fake_wechat::spawn(FakeConfig::default()).await;
    let app = TestApp::spawn_with(backend, &[("SIYU_WECHAT_API_BASE", fake.base_url())]).await;
    let (_, key) = app.tenant("菜单").await;
    let account = connect(&app, &key).await;
    let menu = json!({"button": [
        {"type": "click", "name": "今日推荐", "key": "TODAY"},
        {"name": "会员", "sub_button": [{"type": "view", "name": "会员卡", "url": "https://example.com/card"}]}
    ]});
    let (s, started) = app
        .call(
            "PUT",
            &format!("/api/v1/wechat/accounts/{account}/menu"),
            &key,
            Some(menu.clone()),
        )
        .await;
    assert_eq!(s, 202);
    let job = wait_job(&app, &key, started["job_id"].as_str().unwrap()).await;
    assert_eq!(job["state"], "done", "{job}");
    // WeChat's menu/get shows empty `sub_button` lists; compare without them.
    let strip = |v: &Value| {
        v.to_string()
            .replace(",\"sub_button\":[]", "")
            .replace("\"sub_button\":[],", "")
    };
    assert_eq!(
        strip(&fake.menu().unwrap()["button"]),
        strip(&menu["button"])
    );
    let (_, saved) = app
        .get(&format!("/api/v1/wechat/accounts/{account}/menu"), &key)
        .await;
    assert!(saved["published_at"].is_i64());
    let (s, e) = app
        .call(
            "PUT",
            &format!("/api/v1/wechat/accounts/{account}/menu"),
            &key,
            Some(json!({"button": []})),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (422, Some("validation_failed"))
    );
    assert_eq!(
        fake.calls("/cgi-bin/menu/create"),
        1,
        "an invalid menu never reaches WeChat"
    );
    app.stop().await;
}

/// Two nodes on one PostgreSQL asking for the account's token at once: one fetch from WeChat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_share_one_access_token() {
    let fake = siyu_fake_wechat::spawn(FakeConfig::default()).await;
    let db = TestDb::new(Backend::Postgres).await;
    let extra = [("SIYU_WECHAT_API_BASE", fake.base_url())];
    let a = TestApp::start(Start {
        url: &db.url,
        extra: &extra,
        registry: siyu_server::jobs::Registry::standard(),
        migrate: true,
    })
    .await;
    let b = TestApp::start(Start {
        url: &db.url,
        extra: &extra,
        registry: siyu_server::jobs::Registry::standard(),
        migrate: false,
    })
    .await;
    let (_, key) = a.tenant("共享令牌").await;
    let account = connect(&a, &key).await;
    let stored = siyu_store::wechat_accounts::get_for_callback(&a.state.store, &account)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let state = if i % 2 == 0 {
            a.state.clone()
        } else {
            b.state.clone()
        };
        let acct = stored.clone();
        tasks.push(tokio::spawn(async move {
            let client = siyu_server::wechat::client::client_for(&state, &acct).unwrap();
            client.access_token().await.unwrap().secret().to_owned()
        }));
    }
    let mut tokens = std::collections::HashSet::new();
    for t in tasks {
        tokens.insert(t.await.unwrap());
    }
    assert_eq!(
        tokens.len(),
        1,
        "every caller on both nodes got the same token"
    );
    assert_eq!(fake.token_fetches(), 1, "WeChat was asked once");
    a.stop().await;
    b.stop().await;
}
