//! Prize draws under real concurrency: 1,000 simultaneous entries never award beyond stock,
//! limits hold, and every result re-derives from the revealed seed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.

mod support;

use std::sync::Arc;

use serde_json::json;
use siyu_domain::draw::{self, EntryResult, Prize};
use siyu_domain::TenantId;
use siyu_store::customers;
use siyu_store::Backend;
use support::{code, TestApp};

async fn fans(app: &TestApp, tenant: &str, n: usize, following: bool) -> Vec<String> {
    let tenant = TenantId::parse(tenant).unwrap();
    let mut tx = app.state.store.begin().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        let openid = format!("o_draw_{following}_{i}");
        let id = siyu_server::identity::wechat_fan(
            &app.state,
            &mut tx,
            &tenant,
            &siyu_server::identity::Fan {
                app_id: "wx_test_app",
                openid: &openid,
                unionid: None,
                source: "test",
            },
            1,
        )
        .await
        .unwrap();
        if following {
            customers::record_follow(&mut tx, &tenant, &id, "wa_x", true, None, "test", 1, 1)
                .await
                .unwrap();
        }
        ids.push(id);
    }
    tx.commit().await.unwrap();
    ids
}

story!(
    a_thousand_concurrent_entries_respect_stock_and_verify,
    draws_refuse_bad_input_and_ineligible_fans
);

async fn a_thousand_concurrent_entries_respect_stock_and_verify(backend: Backend) {
    let app = Arc::new(TestApp::spawn_with(backend, &[("SIYU_DB_MAX_CONNECTIONS", "16")]).await);
    let (tenant, key) = app.tenant("抽奖").await;
    let customers = fans(&app, &tenant, 200, true).await;
    let (s, c) = app
        .call("POST", "/api/v1/draws", &key, Some(json!({
            "name": "开业抽奖",
            "prizes": [{"name": "美式咖啡", "odds_bp": 4000, "stock": 25}, {"name": "贴纸", "odds_bp": 5000, "stock": 300}],
            "total_limit": 5
        })))
        .await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_owned();
    let commitment = c["commitment"].as_str().unwrap().to_owned();
    assert!(c["seed"].is_null(), "the seed stays secret while open");

    let mut tasks = Vec::new();
    for i in 0..1_100usize {
        let (app, key, id, customer) = (
            app.clone(),
            key.clone(),
            id.clone(),
            customers[i % customers.len()].clone(),
        );
        tasks.push(tokio::spawn(async move {
            app.call(
                "POST",
                &format!("/api/v1/draws/{id}/entries"),
                &key,
                Some(json!({"customer_id": customer})),
            )
            .await
        }));
    }
    let (mut ok, mut limited) = (0, 0);
    for t in tasks {
        let (s, body) = t.await.unwrap();
        match s {
            200 => ok += 1,
            409 if code(&body) == "draw_limit_reached" => limited += 1,
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(
        (ok, limited),
        (1_000, 100),
        "5 entries per person, 200 people"
    );

    let (_, campaign) = app.get(&format!("/api/v1/draws/{id}"), &key).await;
    let (_, closed) = app
        .call("POST", &format!("/api/v1/draws/{id}/close"), &key, None)
        .await;
    let seed = closed["seed"].as_str().unwrap().to_owned();
    assert_eq!(draw::commitment(&seed), commitment);
    let (_, export) = app.get(&format!("/api/v1/draws/{id}/export"), &key).await;
    let entries: Vec<EntryResult> = serde_json::from_value(export["entries"].clone()).unwrap();
    let prizes: Vec<Prize> = serde_json::from_value(export["prizes"].clone()).unwrap();
    assert_eq!(entries.len(), 1_000);
    let coffee = entries.iter().filter(|e| e.awarded == Some(0)).count();
    let stickers = entries.iter().filter(|e| e.awarded == Some(1)).count();
    assert_eq!(
        coffee, 25,
        "400 expected picks for 25 coffees: all given, none beyond"
    );
    assert!(stickers <= 300);
    assert_eq!(campaign["prizes"][0]["remaining"], 0);
    assert_eq!(campaign["prizes"][1]["remaining"], 300 - stickers as i64);
    assert!(
        draw::verify(&commitment, &seed, &prizes, &entries).is_empty(),
        "every result re-derives"
    );

    let (s, e) = app
        .call(
            "POST",
            &format!("/api/v1/draws/{id}/entries"),
            &key,
            Some(json!({"customer_id": customers[0]})),
        )
        .await;
    assert_eq!((s, code(&e)), (409, "draw_not_open"), "closed");
    let app = Arc::try_unwrap(app).ok().unwrap();
    app.stop().await;
}

async fn draws_refuse_bad_input_and_ineligible_fans(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("抽奖2").await;
    for (body, field) in [
        (json!({"name": "x", "prizes": []}), "prizes"),
        (
            json!({"name": "x", "prizes": [{"name": "a", "odds_bp": 9000, "stock": 1}, {"name": "b", "odds_bp": 2000, "stock": 1}]}),
            "prizes",
        ),
        (
            json!({"name": "x", "prizes": [{"name": "a", "odds_bp": 100, "stock": 0}]}),
            "prizes",
        ),
        (
            json!({"name": "", "prizes": [{"name": "a", "odds_bp": 100, "stock": 1}]}),
            "name",
        ),
        (
            json!({"name": "x", "prizes": [{"name": "a", "odds_bp": 100, "stock": 1}], "starts_at": 10, "ends_at": 5}),
            "ends_at",
        ),
    ] {
        let (s, e) = app.call("POST", "/api/v1/draws", &key, Some(body)).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some(field)), "{e}");
    }
    let now = app.state.now();
    let (_, c) = app
        .call("POST", "/api/v1/draws", &key, Some(json!({"name": "限时", "prizes": [{"name": "a", "odds_bp": 100, "stock": 1}], "ends_at": now + 60_000, "per_day_limit": 1})))
        .await;
    let id = c["id"].as_str().unwrap();
    let gone = fans(&app, &tenant, 1, false).await;
    let (s, e) = app
        .call(
            "POST",
            &format!("/api/v1/draws/{id}/entries"),
            &key,
            Some(json!({"customer_id": gone[0]})),
        )
        .await;
    assert_eq!((s, code(&e)), (409, "draw_not_eligible"));
    let fan = fans(&app, &tenant, 1, true).await;
    assert_eq!(
        app.call(
            "POST",
            &format!("/api/v1/draws/{id}/entries"),
            &key,
            Some(json!({"customer_id": fan[0]}))
        )
        .await
        .0,
        200
    );
    let (s, e) = app
        .call(
            "POST",
            &format!("/api/v1/draws/{id}/entries"),
            &key,
            Some(json!({"customer_id": fan[0]})),
        )
        .await;
    assert_eq!((s, code(&e)), (409, "draw_limit_reached"), "one a day");
    app.clock.advance(86_400_000);
    let (s, e) = app
        .call(
            "POST",
            &format!("/api/v1/draws/{id}/entries"),
            &key,
            Some(json!({"customer_id": fan[0]})),
        )
        .await;
    assert_eq!((s, code(&e)), (409, "draw_not_open"), "past its end");
    let (s, _) = app
        .call(
            "POST",
            &format!("/api/v1/draws/{id}/entries"),
            &key,
            Some(json!({"customer_id": "cu_nobody"})),
        )
        .await;
    assert_eq!(s, 422, "an unknown customer is a bad field");
    app.stop().await;
}
