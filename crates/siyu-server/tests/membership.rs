//! Membership: the program, cards, points earned and spent exactly once under concurrency,
//! expiry, levels, the H5 card page and the clerk's member page.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.

mod support;

use serde_json::{json, Value};
use siyu_store::Backend;
use support::{code, TestApp};

const DAY: i64 = 86_400_000;

async fn setup(app: &TestApp, expiry_days: i64) -> (String, String, String) {
    let (tenant, key) = app.tenant("会员店").await;
    let (s, p) = app
        .call(
            "PUT",
            "/api/v1/membership",
            &key,
            Some(json!({"name": "小满会员卡", "basis": "points", "points_per_yuan": 1, "checkin_points": 5,
                        "referral_points": 50, "expiry_days": expiry_days,
                        "levels": [{"name": "金卡", "min": 100}, {"name": "普通会员", "min": 0}]})),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(
        p["levels"][0]["name"], "普通会员",
        "levels are kept in threshold order"
    );
    let (s, c) = app
        .call(
            "POST",
            "/api/v1/customers/identify",
            &key,
            Some(json!({"identities": [{"kind": "phone", "value": "13600001111"}], "attributes": {"name": "周先生"}})),
        )
        .await;
    assert_eq!(s, 200);
    (tenant, key, c["id"].as_str().unwrap().to_owned())
}

async fn points(app: &TestApp, key: &str, id: &str, body: Value) -> (u16, Value) {
    app.call(
        "POST",
        &format!("/api/v1/customers/{id}/points"),
        key,
        Some(body),
    )
    .await
}

story!(
    program_and_cards,
    points_are_recorded_once_and_levels_follow,
    concurrent_spends_never_overdraw,
    points_expire_lot_by_lot,
    the_card_on_the_phone_and_at_the_counter,
    a_fan_asks_for_the_card_in_wechat
);

async fn program_and_cards(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key) = app.tenant("无会员").await;
    assert_eq!(app.get("/api/v1/membership", &key).await.0, 404);
    for (body, field) in [
        (
            json!({"name": "", "basis": "points", "points_per_yuan": 1, "levels": [{"name": "a", "min": 0}]}),
            "name",
        ),
        (
            json!({"name": "卡", "basis": "visits", "points_per_yuan": 1, "levels": [{"name": "a", "min": 0}]}),
            "basis",
        ),
        (
            json!({"name": "卡", "basis": "points", "points_per_yuan": 1, "levels": []}),
            "levels",
        ),
        (
            json!({"name": "卡", "basis": "points", "points_per_yuan": -1, "levels": [{"name": "a", "min": 0}]}),
            "points_per_yuan",
        ),
        (
            json!({"name": "卡", "basis": "points", "points_per_yuan": 1, "levels": [{"name": "a", "min": 0}, {"name": "a", "min": 5}]}),
            "levels[1].name",
        ),
    ] {
        let (s, e) = app
            .call("PUT", "/api/v1/membership", &key, Some(body.clone()))
            .await;
        assert_eq!((s, code(&e)), (422, "validation_failed"), "{body}");
        assert!(
            e["error"]["message"].as_str().unwrap().starts_with(field),
            "{e}"
        );
    }
    assert_eq!(
        app.get("/api/v1/membership", &key).await.0,
        404,
        "nothing was saved"
    );
    let (_, c) = app
        .call(
            "POST",
            "/api/v1/customers/identify",
            &key,
            Some(json!({"identities": [{"kind": "email", "value": "x@y.cn"}]})),
        )
        .await;
    let id = c["id"].as_str().unwrap();
    let (s, e) = app
        .call("POST", &format!("/api/v1/customers/{id}/card"), &key, None)
        .await;
    assert_eq!((s, code(&e)), (409, "no_membership_program"));

    let app2 = TestApp::spawn(backend).await;
    let (_, key, id) = setup(&app2, 0).await;
    let (s, card) = app2
        .call("POST", &format!("/api/v1/customers/{id}/card"), &key, None)
        .await;
    assert_eq!(s, 201, "{card}");
    assert_eq!(card["level"], "普通会员");
    assert_eq!(card["points"], 0);
    let number = card["card_number"].as_str().unwrap().to_owned();
    assert_eq!(number.len(), 12);
    let (s, again) = app2
        .call("POST", &format!("/api/v1/customers/{id}/card"), &key, None)
        .await;
    assert_eq!((s, &again["id"]), (200, &card["id"]));
    // The card number is an identity of the customer.
    let (_, found) = app2
        .get(
            &format!("/api/v1/customers?identity=member_card:{number}"),
            &key,
        )
        .await;
    assert_eq!(found["items"][0]["id"], json!(id));
    app2.stop().await;
    app.stop().await;
}

async fn points_are_recorded_once_and_levels_follow(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key, id) = setup(&app, 0).await;
    app.call("POST", &format!("/api/v1/customers/{id}/card"), &key, None)
        .await;
    let (s, c) = points(
        &app,
        &key,
        &id,
        json!({"reason": "purchase", "amount_fen": 3650, "ref": "R-1"}),
    )
    .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(
        (c["points"].as_i64(), c["recorded"].as_bool()),
        (Some(36), Some(true))
    );
    // The same receipt again: nothing changes.
    let (_, c) = points(
        &app,
        &key,
        &id,
        json!({"reason": "purchase", "amount_fen": 3650, "ref": "R-1"}),
    )
    .await;
    assert_eq!(
        (
            c["points"].as_i64(),
            c["recorded"].as_bool(),
            c["spend_fen"].as_i64()
        ),
        (Some(36), Some(false), Some(3650))
    );
    // One check-in a day.
    points(&app, &key, &id, json!({"reason": "checkin"})).await;
    let (_, c) = points(&app, &key, &id, json!({"reason": "checkin"})).await;
    assert_eq!(c["points"], 41);
    assert_eq!(c["next_level"], json!({"name": "金卡", "needed": 59}));
    // Crossing a threshold changes the level, and the change is logged.
    let (_, c) = points(
        &app,
        &key,
        &id,
        json!({"reason": "referral", "ref": "friend-1"}),
    )
    .await;
    let (_, c2) = points(
        &app,
        &key,
        &id,
        json!({"reason": "purchase", "amount_fen": 1000, "ref": "R-2"}),
    )
    .await;
    assert_eq!(c["level"], "普通会员");
    assert_eq!(
        (c2["level"].as_str(), c2["points"].as_i64()),
        (Some("金卡"), Some(101))
    );
    assert_eq!(c2["level_changes"][0]["to_level"], "金卡");
    // Spending: not more than there is; the level stays (it counts lifetime points).
    let (s, e) = points(
        &app,
        &key,
        &id,
        json!({"reason": "spend", "points": 500, "ref": "S-1"}),
    )
    .await;
    assert_eq!((s, code(&e)), (409, "insufficient_points"));
    let (_, c) = points(
        &app,
        &key,
        &id,
        json!({"reason": "spend", "points": 100, "ref": "S-1"}),
    )
    .await;
    assert_eq!(
        (c["points"].as_i64(), c["level"].as_str()),
        (Some(1), Some("金卡"))
    );
    // Bad input is named and changes nothing.
    for (body, field) in [
        (
            json!({"reason": "purchase", "amount_fen": 0, "ref": "x"}),
            "amount_fen",
        ),
        (json!({"reason": "purchase", "amount_fen": 100}), "ref"),
        (json!({"reason": "gift", "points": 1, "ref": "x"}), "reason"),
        (
            json!({"reason": "spend", "points": -3, "ref": "x"}),
            "points",
        ),
    ] {
        let (s, e) = points(&app, &key, &id, body.clone()).await;
        assert_eq!((s, code(&e)), (422, "validation_failed"), "{body}");
        assert!(
            e["error"]["message"].as_str().unwrap().starts_with(field),
            "{e}"
        );
    }
    let (_, c) = app.get(&format!("/api/v1/customers/{id}/card"), &key).await;
    assert_eq!(c["points"], 1);
    let ledger_sum: i64 = c["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            if r["kind"] == "earn" {
                r["points"].as_i64().unwrap()
            } else {
                -r["points"].as_i64().unwrap()
            }
        })
        .sum();
    assert_eq!(ledger_sum, 1, "the balance is the ledger's sum");
    app.stop().await;
}

async fn concurrent_spends_never_overdraw(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key, id) = setup(&app, 0).await;
    app.call("POST", &format!("/api/v1/customers/{id}/card"), &key, None)
        .await;
    points(
        &app,
        &key,
        &id,
        json!({"reason": "adjust", "points": 100, "ref": "opening"}),
    )
    .await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let (http, url, key) = (
            app.http.clone(),
            app.url(&format!("/api/v1/customers/{id}/points")),
            key.clone(),
        );
        // 16 different spends of 10 (only 10 fit), and the same purchase sent 4 times.
        let body = if i < 12 {
            json!({"reason": "spend", "points": 10, "ref": format!("S-{i}")})
        } else {
            json!({"reason": "purchase", "amount_fen": 500, "ref": "DUP"})
        };
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(key)
                .json(&body)
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    let (_, c) = app.get(&format!("/api/v1/customers/{id}/card"), &key).await;
    let ledger = c["ledger"].as_array().unwrap();
    let spends = ledger.iter().filter(|r| r["kind"] == "spend").count();
    let dups = ledger.iter().filter(|r| r["ref"] == "DUP").count();
    assert_eq!(dups, 1, "the purchase counted once");
    assert!(c["points"].as_i64().unwrap() >= 0);
    assert_eq!(c["points"].as_i64().unwrap(), 100 + 5 - 10 * spends as i64);
    assert!(
        spends >= 10,
        "every spend that fitted went through ({spends})"
    );
    app.stop().await;
}

async fn points_expire_lot_by_lot(backend: Backend) {
    // No worker: the test runs the hourly expiry itself, so the background maintenance job
    // (due whenever the clock crosses an hour) cannot write the expiry first.
    let app = TestApp::spawn_with(backend, &[("SIYU_RUN_JOBS", "false")]).await;
    let (_, key, id) = setup(&app, 1).await;
    app.call("POST", &format!("/api/v1/customers/{id}/card"), &key, None)
        .await;
    points(
        &app,
        &key,
        &id,
        json!({"reason": "adjust", "points": 30, "ref": "a"}),
    )
    .await;
    app.clock.advance(DAY / 2);
    points(
        &app,
        &key,
        &id,
        json!({"reason": "adjust", "points": 20, "ref": "b"}),
    )
    .await;
    // Spending takes from the oldest lot first.
    points(
        &app,
        &key,
        &id,
        json!({"reason": "spend", "points": 10, "ref": "s"}),
    )
    .await;
    let (_, c) = app.get(&format!("/api/v1/customers/{id}/card"), &key).await;
    assert_eq!(
        (c["points"].as_i64(), c["expiring_soon"].as_i64()),
        (Some(40), Some(40))
    );
    // A day after the first lot: its 20 left have expired, the second lot's 20 remain.
    app.clock.advance(DAY / 2 + 1);
    let (_, c) = app.get(&format!("/api/v1/customers/{id}/card"), &key).await;
    assert_eq!(c["points"], 20);
    // The hourly job writes the expiry into the ledger; the balance is still the ledger's sum.
    assert_eq!(
        siyu_server::membership::expire_all(&app.state, 100)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        siyu_server::membership::expire_all(&app.state, 100)
            .await
            .unwrap(),
        0
    );
    let (_, c) = app.get(&format!("/api/v1/customers/{id}/card"), &key).await;
    let expired: Vec<&Value> = c["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "expire")
        .collect();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0]["points"], 20);
    assert_eq!(c["points"], 20);
    // Spending more than is still valid is refused.
    let (s, _) = points(
        &app,
        &key,
        &id,
        json!({"reason": "spend", "points": 25, "ref": "s2"}),
    )
    .await;
    assert_eq!(s, 409);
    app.stop().await;
}

async fn the_card_on_the_phone_and_at_the_counter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key, id) = setup(&app, 0).await;
    let (_, card) = app
        .call("POST", &format!("/api/v1/customers/{id}/card"), &key, None)
        .await;
    points(
        &app,
        &key,
        &id,
        json!({"reason": "adjust", "points": 88, "ref": "gift"}),
    )
    .await;
    // The H5 page: no sign-in, a signed link; the QR code is the clerk's code.
    let h5 = app
        .http
        .get(app.url(card["h5_path"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(h5.status(), 200);
    let html = h5.text().await.unwrap();
    assert!(
        html.contains("小满会员卡")
            && html.contains("id=\"h5-points\">88<")
            && html.contains("<svg"),
        "{html}"
    );
    let forged = card["h5_path"]
        .as_str()
        .unwrap()
        .replace("/h5/card/", "/h5/card/x");
    assert_eq!(
        app.http
            .get(app.url(&forged))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // A clerk scans the code and records a purchase, once.
    app.staff(Some(&tenant), "clerk-zhou", "clerk", "correct-horse")
        .await;
    let http = support::console_login(&app, "clerk-zhou", "correct-horse").await;
    let code = card["code"].as_str().unwrap();
    let page = http
        .get(app.url(&format!("/console/member?code={code}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("周先生") && page.contains("id=\"member-points\">88<"),
        "{page}"
    );
    for _ in 0..2 {
        let r = http
            .post(app.url("/console/member/points"))
            .form(&[
                ("csrf", support::csrf_of(&page).as_str()),
                ("code", code),
                ("reason", "purchase"),
                ("amount_yuan", "20.50"),
                ("reference", "POS-77"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let (_, c) = app.get(&format!("/api/v1/customers/{id}/card"), &key).await;
    assert_eq!(c["points"], 108);
    // A mistyped code is refused with a message.
    let bad = http
        .get(app.url("/console/member?code=M123456ABCDEF"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(bad.contains("不是有效的会员卡码"), "{bad}");
    app.stop().await;
}

async fn a_fan_asks_for_the_card_in_wechat(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key, _) = setup(&app, 0).await;
    let (_, acct) = app
        .call("POST", "/api/v1/wechat/accounts", &key, Some(json!({"app_id": "wx00000000000000cc", "app_secret": "0123456789abcdef0123456789abcdef", "token": "cardToken", "mode": "plain"})))
        .await;
    let account = acct["id"].as_str().unwrap();
    let ask = |n: u32| {
        let t = app.state.now() / 1000;
        format!("<xml><ToUserName>gh_x</ToUserName><FromUserName>o_card_fan</FromUserName><CreateTime>{t}</CreateTime><MsgType>text</MsgType><Content>会员卡</Content><MsgId>{n}</MsgId></xml>")
    };
    let (s, reply) = support::wechat_post_plain(&app, account, "cardToken", &ask(1)).await;
    assert_eq!(s, 200);
    assert!(
        reply.contains("小满会员卡") && reply.contains("/h5/card/") && reply.contains("0 积分"),
        "{reply}"
    );
    // Asking again gives the same card; the fan has one profile and one card.
    let (_, again) = support::wechat_post_plain(&app, account, "cardToken", &ask(2)).await;
    let link = |r: &str| {
        r[r.find("/h5/card/").unwrap()..]
            .split(']')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(link(&reply), link(&again));
    let (_, found) = app
        .get("/api/v1/customers?identity=openid:o_card_fan", &key)
        .await;
    let id = found["items"][0]["id"].as_str().unwrap();
    let (_, card) = app.get(&format!("/api/v1/customers/{id}/card"), &key).await;
    assert_eq!(card["customer_id"], json!(id));
    app.stop().await;
}
