//! Vouchers: stock and per-person limits under concurrent issuing, redemption exactly once
//! under concurrent scans, forged codes refused, and the clerk's redemption page.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.

mod support;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;
use siyu_domain::TenantId;
use siyu_store::Backend;
use support::{code, TestApp};

async fn customers_of(app: &TestApp, tenant: &str, n: usize) -> Vec<String> {
    let tenant = TenantId::parse(tenant).unwrap();
    let mut tx = app.state.store.begin().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        let openid = format!("o_voucher_{i}");
        ids.push(
            siyu_server::identity::wechat_fan(
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
            .unwrap(),
        );
    }
    tx.commit().await.unwrap();
    ids
}

story!(
    issuing_respects_stock_and_limits_under_concurrency,
    a_code_is_redeemed_exactly_once,
    clerks_redeem_in_the_console
);

async fn issuing_respects_stock_and_limits_under_concurrency(backend: Backend) {
    let app = Arc::new(TestApp::spawn_with(backend, &[("SIYU_DB_MAX_CONNECTIONS", "16")]).await);
    let (tenant, key) = app.tenant("券").await;
    let people = customers_of(&app, &tenant, 20).await;
    for (body, field) in [
        (
            json!({"name": "x", "kind": "amount_off", "stock": 5}),
            "amount_fen",
        ),
        (
            json!({"name": "x", "kind": "percent_off", "percent_off": 100, "stock": 5}),
            "percent_off",
        ),
        (
            json!({"name": "x", "kind": "free_item", "stock": 5}),
            "item_name",
        ),
        (json!({"name": "x", "kind": "cashback", "stock": 5}), "kind"),
        (
            json!({"name": "x", "kind": "amount_off", "amount_fen": 500, "stock": 0}),
            "stock",
        ),
        (
            json!({"name": "x", "kind": "amount_off", "amount_fen": 500, "stock": 5, "valid_from": 10, "valid_until": 5}),
            "valid_until",
        ),
    ] {
        let (s, e) = app
            .call("POST", "/api/v1/vouchers/templates", &key, Some(body))
            .await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some(field)), "{e}");
    }
    let (s, t) = app
        .call("POST", "/api/v1/vouchers/templates", &key, Some(json!({"name": "满 30 减 5", "kind": "amount_off", "amount_fen": 500, "min_spend_fen": 3000, "stock": 50, "per_person_limit": 3})))
        .await;
    assert_eq!(s, 201, "{t}");
    let template = t["id"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for i in 0..100 {
        let (app, key, template, who) = (
            app.clone(),
            key.clone(),
            template.clone(),
            people[i % 20].clone(),
        );
        tasks.push(tokio::spawn(async move {
            let (s, v) = app
                .call(
                    "POST",
                    "/api/v1/vouchers",
                    &key,
                    Some(json!({"template_id": template, "customer_id": who})),
                )
                .await;
            (s, v, who)
        }));
    }
    let mut per_person: HashMap<String, usize> = HashMap::new();
    let (mut issued, mut refused) = (0, 0);
    for t in tasks {
        let (s, v, who) = t.await.unwrap();
        match (s, code(&v)) {
            (201, _) => {
                issued += 1;
                *per_person.entry(who).or_default() += 1;
            }
            (409, "voucher_out_of_stock" | "voucher_limit_reached") => refused += 1,
            other => panic!("unexpected {other:?}: {v}"),
        }
    }
    assert_eq!((issued, refused), (50, 50), "exactly the stock is issued");
    assert!(
        per_person.values().all(|n| *n <= 3),
        "never more than 3 per person: {per_person:?}"
    );
    let (_, list) = app.get("/api/v1/vouchers/templates", &key).await;
    assert_eq!(list["items"][0]["remaining"], 0);
    Arc::try_unwrap(app).ok().unwrap().stop().await;
}

async fn a_code_is_redeemed_exactly_once(backend: Backend) {
    let app = Arc::new(TestApp::spawn_with(backend, &[("SIYU_DB_MAX_CONNECTIONS", "16")]).await);
    let (tenant, key) = app.tenant("核销").await;
    let people = customers_of(&app, &tenant, 1).await;
    let (_, t) = app.call("POST", "/api/v1/vouchers/templates", &key, Some(json!({"name": "免费美式", "kind": "free_item", "item_name": "美式咖啡", "stock": 10, "min_spend_fen": 1000}))).await;
    let (_, v) = app
        .call(
            "POST",
            "/api/v1/vouchers",
            &key,
            Some(json!({"template_id": t["id"], "customer_id": people[0]})),
        )
        .await;
    let code_s = v["code"].as_str().unwrap().to_owned();
    assert_eq!(code_s.len(), 16);

    let mut forged = code_s.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    let (s, _) = app
        .call(
            "POST",
            &format!("/api/v1/vouchers/{forged}/redeem"),
            &key,
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 404, "a forged code is refused without a lookup");
    let (s, e) = app
        .call(
            "POST",
            &format!("/api/v1/vouchers/{code_s}/redeem"),
            &key,
            Some(json!({"spend_fen": 500})),
        )
        .await;
    assert_eq!((s, code(&e)), (409, "voucher_min_spend"));

    let mut tasks = Vec::new();
    for i in 0..20 {
        let (app, key, c) = (app.clone(), key.clone(), code_s.clone());
        tasks.push(tokio::spawn(async move {
            app.call(
                "POST",
                &format!("/api/v1/vouchers/{c}/redeem"),
                &key,
                Some(json!({"store": format!("滨湖店-{i}"), "spend_fen": 3600})),
            )
            .await
        }));
    }
    let mut outcomes: Vec<(u16, String)> = Vec::new();
    for t in tasks {
        let (s, b) = t.await.unwrap();
        outcomes.push((s, b.to_string()));
    }
    assert_eq!(
        outcomes.iter().filter(|(s, _)| *s == 200).count(),
        1,
        "exactly one redemption: {outcomes:?}"
    );
    assert!(outcomes
        .iter()
        .filter(|(s, _)| *s != 200)
        .all(|(s, b)| *s == 409 && b.contains("voucher_already_redeemed") && b.contains("滨湖店")));
    let (_, state) = app
        .get(&format!("/api/v1/vouchers/{}", code_s.to_lowercase()), &key)
        .await;
    assert!(
        state["redeemed_at"].is_i64(),
        "codes are case-insensitive: {state}"
    );
    let audit = app
        .get("/api/v1/audit-log?limit=200", &key)
        .await
        .1
        .to_string();
    assert_eq!(audit.matches("voucher.redeem").count(), 1);
    Arc::try_unwrap(app).ok().unwrap().stop().await;
}

async fn clerks_redeem_in_the_console(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("门店").await;
    let people = customers_of(&app, &tenant, 1).await;
    app.staff(Some(&tenant), "clerk-li", "clerk", "correct-horse")
        .await;
    let (_, t) = app
        .call(
            "POST",
            "/api/v1/vouchers/templates",
            &key,
            Some(json!({"name": "8 折券", "kind": "percent_off", "percent_off": 20, "stock": 5})),
        )
        .await;
    let (_, v) = app
        .call(
            "POST",
            "/api/v1/vouchers",
            &key,
            Some(json!({"template_id": t["id"], "customer_id": people[0]})),
        )
        .await;
    let code_s = v["code"].as_str().unwrap_or_else(|| panic!("{t} {v}"));
    let http = support::console_login(&app, "clerk-li", "correct-horse").await;
    let form = http
        .get(app.url("/console/redeem"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("redeem-form"), "{form}");
    let csrf = support::csrf_of(&form);
    let spaced = format!("{} {}", &code_s[..8], &code_s[8..]);
    let r = http
        .post(app.url("/console/redeem"))
        .form(&[
            ("code", spaced.as_str()),
            ("store", "天鹅湖店"),
            ("spend_yuan", ""),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("核销成功"));
    let r = http
        .post(app.url("/console/redeem"))
        .form(&[
            ("code", code_s),
            ("store", "天鹅湖店"),
            ("spend_yuan", ""),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("already redeemed") && html.contains("天鹅湖店"),
        "says when and where"
    );
    let r = http
        .post(app.url("/console/redeem"))
        .form(&[
            ("code", "NOTAREALCODE0000"),
            ("store", ""),
            ("spend_yuan", ""),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(
        http.get(app.url("/console/vouchers"))
            .send()
            .await
            .unwrap()
            .status(),
        403,
        "clerks redeem; they do not manage vouchers"
    );
    app.stop().await;
}
