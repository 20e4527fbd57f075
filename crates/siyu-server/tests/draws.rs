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
    draws_refuse_bad_input_and_ineligible_fans,
    fans_enter_from_wechat_and_win_vouchers
);

async fn fans_enter_from_wechat_and_win_vouchers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("抽奖店").await;
    let (_, acct) = app
        .call("POST", "/api/v1/wechat/accounts", &key, Some(json!({"app_id": "wx00000000000000dd", "app_secret": "0123456789abcdef0123456789abcdef", "token": "drawToken", "mode": "plain"})))
        .await;
    let account = acct["id"].as_str().unwrap().to_owned();
    let (_, tpl) = app
        .call("POST", "/api/v1/vouchers/templates", &key, Some(json!({"name": "美式咖啡券", "kind": "free_item", "item_name": "美式咖啡", "stock": 10})))
        .await;
    let template = tpl["id"].as_str().unwrap().to_owned();
    // Every entry wins the voucher prize (100 %), one entry per person.
    let (s, c) = app
        .call("POST", "/api/v1/draws", &key, Some(json!({"name": "开业转盘", "prizes": [{"name": "美式咖啡券", "odds_bp": 10000, "stock": 5}], "total_limit": 1})))
        .await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_owned();
    // Bad settings change nothing.
    for (body, field) in [
        (
            json!({"keyword": "抽奖", "prize_vouchers": {"3": template}}),
            "prize_vouchers",
        ),
        (
            json!({"keyword": "抽奖", "prize_vouchers": {"0": "vt_nope"}}),
            "prize_vouchers",
        ),
        (
            json!({"keyword": "一二三四五六七八九十一二三四五六七八九十一"}),
            "keyword",
        ),
    ] {
        let (s, e) = app
            .call(
                "PUT",
                &format!("/api/v1/draws/{id}/settings"),
                &key,
                Some(body),
            )
            .await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some(field)), "{e}");
    }
    let (s, st) = app
        .call(
            "PUT",
            &format!("/api/v1/draws/{id}/settings"),
            &key,
            Some(json!({"keyword": "抽奖", "prize_vouchers": {"0": template}})),
        )
        .await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(
        app.get(&format!("/api/v1/draws/{id}/settings"), &key)
            .await
            .1["keyword"],
        "抽奖"
    );

    let say = |fan: &str, body: &str, n: u32| {
        let t = app.state.now() / 1000;
        format!("<xml><ToUserName>gh_x</ToUserName><FromUserName>{fan}</FromUserName><CreateTime>{t}</CreateTime>{body}<MsgId>{n}</MsgId></xml>")
    };
    let follow = |fan: &str| {
        let t = app.state.now() / 1000;
        format!("<xml><ToUserName>gh_x</ToUserName><FromUserName>{fan}</FromUserName><CreateTime>{t}</CreateTime><MsgType>event</MsgType><Event>subscribe</Event><EventKey></EventKey></xml>")
    };
    support::wechat_post_plain(&app, &account, "drawToken", &follow("o_draw_fan")).await;
    let (s, reply) = support::wechat_post_plain(
        &app,
        &account,
        "drawToken",
        &say(
            "o_draw_fan",
            "<MsgType>text</MsgType><Content>抽奖</Content>",
            1,
        ),
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        reply.contains("恭喜") && reply.contains("美式咖啡券") && reply.contains("/h5/draw/"),
        "{reply}"
    );
    // The prize's voucher is issued once, by a job.
    let (_, found) = app
        .get("/api/v1/customers?identity=openid:o_draw_fan", &key)
        .await;
    let fan = found["items"][0]["id"].as_str().unwrap().to_owned();
    let code = support::voucher_of(&app, &tenant, &format!("draw:{id}:1"))
        .await
        .expect("the prize's voucher");
    let (_, v) = app.get(&format!("/api/v1/vouchers/{code}"), &key).await;
    assert_eq!(v["customer_id"], json!(fan), "{v}");
    // A menu click enters too; the limit is one entry per person.
    let click = "<MsgType>event</MsgType><Event>CLICK</Event>".to_owned()
        + &format!("<EventKey>DRAW:{id}</EventKey>");
    let (_, reply) =
        support::wechat_post_plain(&app, &account, "drawToken", &say("o_draw_fan", &click, 2))
            .await;
    assert!(reply.contains("次数已用完"), "{reply}");
    assert!(siyu_store::vouchers::by_source(
        &app.state.store,
        &TenantId::parse(&tenant).unwrap(),
        &format!("draw:{id}:2")
    )
    .await
    .unwrap()
    .is_none());

    // The fan's H5 page shows the wheel and their entry; spinning again is refused kindly.
    let link = &reply[reply.find("/h5/draw/").unwrap()..];
    let link = link
        .split([']', '<', '\n', '\n'])
        .next()
        .unwrap()
        .trim()
        .to_owned();
    let h5 = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let page = h5
        .get(app.url(&link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("开业转盘") && page.contains("conic-gradient") && page.contains("draw-mine"),
        "{page}"
    );
    assert!(
        page.contains(&format!("/h5/voucher/{code}")),
        "the won voucher is linked: {page}"
    );
    // The voucher's own page shows its QR for the clerk.
    let v = h5
        .get(app.url(&format!("/h5/voucher/{code}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        v.contains("美式咖啡券") && v.contains("<svg") && v.contains(&code),
        "{v}"
    );
    let forged = format!("{}AAAAAA", &code[..10]);
    assert_eq!(
        h5.get(app.url(&format!("/h5/voucher/{forged}")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let csrf = support::csrf_of(&page);
    let page = h5
        .post(app.url(&link))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("id=\"draw-result\"") && page.contains("次数已用完"),
        "{page}"
    );
    let forged = h5
        .get(app.url("/h5/draw/forged.link"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 404);

    // The console shows the campaign with its keyword, menu key and the entry.
    app.staff(Some(&tenant), "draw-owner", "owner", "correct-horse")
        .await;
    let http = support::console_login(&app, "draw-owner", "correct-horse").await;
    let page = http
        .get(app.url(&format!("/console/draws/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("抽奖") && page.contains(&format!("DRAW:{id}")) && page.contains(&fan),
        "{page}"
    );
    let list = http
        .get(app.url("/console/draws"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = http
        .post(app.url("/console/draws"))
        .form(&[
            ("name", "周末转盘"),
            ("prizes", "曲奇, 12.5, 100\n贴纸, 50, 1000"),
            ("keyword", "转盘"),
            ("per_day_limit", "2"),
            ("total_limit", ""),
            ("csrf", &support::csrf_of(&list)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let bad = http
        .post(app.url("/console/draws"))
        .form(&[
            ("name", "坏的"),
            ("prizes", "曲奇, lots, 100"),
            ("keyword", ""),
            ("per_day_limit", ""),
            ("total_limit", ""),
            ("csrf", &support::csrf_of(&list)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("line 1"));
    let (_, draws) = app.get(&format!("/api/v1/draws/{id}"), &key).await;
    assert_eq!(draws["entries"], 1);
    // Closing from the console reveals the seed; the export is what `siyu draw verify` reads.
    let r = http
        .post(app.url(&format!("/console/draws/{id}/close")))
        .form(&[("csrf", support::csrf_of(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = http
        .get(app.url(&format!("/console/draws/{id}/export.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
    let export: serde_json::Value = r.json().await.unwrap();
    assert!(
        export["seed"].as_str().is_some_and(|s| !s.is_empty()),
        "{export}"
    );
    app.stop().await;
}

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
