//! Segments and pushes: the segment language over the API, counts that follow every change on
//! every node, pushes that reach only their segment through the fake WeChat (one by one inside
//! the 48-hour window, by tag otherwise), resumed without sending twice, limited per month, and
//! measured (reads, orders, unfollows).
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use siyu_fake_wechat::{FakeConfig, FakeWechat};
use siyu_server::jobs::Registry;
use siyu_store::testing::TestDb;
use siyu_store::Backend;
use support::{code, Start, TestApp};

const TOKEN: &str = "segToken";
const DAY: i64 = 86_400_000;

struct World {
    app: TestApp,
    tenant: String,
    fake: FakeWechat,
    key: String,
    account: String,
    fans: Vec<String>,
}

async fn world(backend: Backend, fake: FakeConfig, fans: usize) -> World {
    let fake = siyu_fake_wechat::spawn(fake.with_followers(fans)).await;
    let app = TestApp::spawn_with(backend, &[("SIYU_WECHAT_API_BASE", fake.base_url())]).await;
    let (tenant, key) = app.tenant("咖啡馆").await;
    let (s, a) = app
        .call("POST", "/api/v1/wechat/accounts", &key, Some(json!({"app_id": "wx00000000000000d1", "app_secret": "0123456789abcdef0123456789abcdef", "token": TOKEN, "mode": "plain"})))
        .await;
    assert_eq!(s, 201, "{a}");
    let account = a["id"].as_str().unwrap().to_owned();
    let fans = fake.follower_openids();
    for fan in &fans {
        event(&app, &account, fan, "subscribe").await;
    }
    World {
        app,
        tenant,
        fake,
        key,
        account,
        fans,
    }
}

async fn event(app: &TestApp, account: &str, fan: &str, ev: &str) {
    let now = app.state.now() / 1000;
    let xml = format!("<xml><ToUserName>gh_x</ToUserName><FromUserName>{fan}</FromUserName><CreateTime>{now}</CreateTime><MsgType>event</MsgType><Event>{ev}</Event><EventKey></EventKey></xml>");
    let (s, _) = support::wechat_post_plain(app, account, TOKEN, &xml).await;
    assert_eq!(s, 200);
}

async fn customer_of(w: &World, fan: &str) -> String {
    let (_, found) = w
        .app
        .get(&format!("/api/v1/customers?identity=openid:{fan}"), &w.key)
        .await;
    found["items"][0]["id"].as_str().unwrap().to_owned()
}

async fn tag(w: &World, id: &str, add: &[&str], remove: &[&str]) {
    let (s, b) = w
        .app
        .call(
            "POST",
            &format!("/api/v1/customers/{id}/tags"),
            &w.key,
            Some(json!({"add": add, "remove": remove})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

async fn count(app: &TestApp, key: &str, query: Value) -> (u16, Value) {
    app.call(
        "POST",
        "/api/v1/segments/evaluate",
        key,
        Some(json!({"query": query, "members": true})),
    )
    .await
}

async fn wait_push(app: &TestApp, key: &str, id: &str, done: &[&str]) -> Value {
    for _ in 0..300 {
        let (_, p) = app.get(&format!("/api/v1/pushes/{id}"), key).await;
        if done.contains(&p["status"].as_str().unwrap_or_default()) {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("push {id} did not reach {done:?}");
}

story!(
    the_language_over_the_api,
    counts_follow_follows_tags_merges_and_erasure,
    pushes_reach_only_their_segment,
    a_resumed_push_sends_to_no_fan_twice,
    mass_sends_are_limited_per_month,
    segments_and_pushes_in_the_console
);

async fn the_language_over_the_api(backend: Backend) {
    let w = world(backend, FakeConfig::default(), 4).await;
    let ids = futures_ids(&w).await;
    tag(&w, &ids[0], &["咖啡控"], &[]).await;
    tag(&w, &ids[1], &["咖啡控", "甜品"], &[]).await;
    let (s, r) = count(&w.app, &w.key, json!("tag(\"咖啡控\") and following()")).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["count"], 2);
    let mut members: Vec<String> = serde_json::from_value(r["customer_ids"].clone()).unwrap();
    members.sort();
    let mut want = vec![ids[0].clone(), ids[1].clone()];
    want.sort();
    assert_eq!(members, want);
    // Without `members` only the count comes back; the JSON tree means the same.
    let (_, r) = w
        .app
        .call(
            "POST",
            "/api/v1/segments/evaluate",
            &w.key,
            Some(json!({"query": {"and": [{"tag": "咖啡控"}, {"not": {"tag": "甜品"}}]}})),
        )
        .await;
    assert_eq!(r["count"], 1);
    assert!(r.get("customer_ids").is_none());
    assert_eq!(r["query"], "tag(\"咖啡控\") and not tag(\"甜品\")");
    // Syntax errors say where and what was expected.
    let (s, e) = count(&w.app, &w.key, json!("tag(\"咖啡控\") and")).await;
    assert_eq!(s, 400);
    assert_eq!(code(&e), "segment_syntax");
    assert_eq!(e["error"]["position"], 14, "{e}");
    let (s, e) = count(&w.app, &w.key, json!("tags(\"x\")")).await;
    assert_eq!((s, code(&e)), (400, "segment_syntax"));
    assert_eq!(e["error"]["position"], 0);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("tag"),
        "{e}"
    );
    // Names nobody has match no one, and are reported rather than silently empty.
    let (s, r) = count(
        &w.app,
        &w.key,
        json!("tag(\"茶控\") or bought(sku \"NOPE\")"),
    )
    .await;
    assert_eq!((s, r["count"].as_u64()), (200, Some(0)), "{r}");
    assert_eq!(
        r["unknown_names"],
        json!(["tag \"茶控\"", "product \"NOPE\""])
    );
    let (s, r) = count(&w.app, &w.key, json!("not channel(\"poster-9\")")).await;
    assert_eq!((s, r["count"].as_u64()), (200, Some(4)), "{r}");
    assert_eq!(r["unknown_names"], json!(["channel \"poster-9\""]));
    let (_, r) = count(&w.app, &w.key, json!("tag(\"咖啡控\")")).await;
    assert!(r.get("unknown_names").is_none(), "{r}");
    let (s, e) = count(&w.app, &w.key, json!("segment(\"不存在\")")).await;
    assert_eq!((s, code(&e)), (400, "segment_unknown_name"));
    let (s, _) = count(&w.app, &w.key, json!(42)).await;
    assert_eq!(s, 400);

    // Saved segments can be used by name; cycles are refused.
    let (s, seg) = w
        .app
        .call(
            "POST",
            "/api/v1/segments",
            &w.key,
            Some(json!({"name": "咖啡粉", "query": "tag(\"咖啡控\")"})),
        )
        .await;
    assert_eq!(s, 201, "{seg}");
    assert_eq!(seg["count"], 2);
    let id = seg["id"].as_str().unwrap();
    let (s, dup) = w
        .app
        .call(
            "POST",
            "/api/v1/segments",
            &w.key,
            Some(json!({"name": "咖啡粉", "query": "following()"})),
        )
        .await;
    assert_eq!((s, code(&dup)), (409, "segment_name_taken"));
    let (_, r) = count(
        &w.app,
        &w.key,
        json!("segment(\"咖啡粉\") and tag(\"甜品\")"),
    )
    .await;
    assert_eq!(r["count"], 1);
    let (s, e) = w
        .app
        .call(
            "PUT",
            &format!("/api/v1/segments/{id}"),
            &w.key,
            Some(json!({"name": "咖啡粉", "query": "segment(\"咖啡粉\") or tag(\"甜品\")"})),
        )
        .await;
    assert_eq!((s, code(&e)), (400, "segment_cycle"), "{e}");
    let (s, e) = w
        .app
        .call(
            "POST",
            "/api/v1/segments",
            &w.key,
            Some(json!({"name": "", "query": "following()"})),
        )
        .await;
    assert_eq!((s, code(&e)), (422, "validation_failed"));
    // Bad input changed nothing.
    let (_, list) = w.app.get("/api/v1/segments", &w.key).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["query"], "tag(\"咖啡控\")");
    // A voucher for every member, once: issuing again reaches nobody new.
    let (_, tpl) = w
        .app
        .call("POST", "/api/v1/vouchers/templates", &w.key, Some(json!({"name": "咖啡粉专享券", "kind": "amount_off", "amount_fen": 500, "stock": 10})))
        .await;
    let template = tpl["id"].as_str().unwrap();
    let (s, q) = w
        .app
        .call(
            "POST",
            &format!("/api/v1/segments/{id}/vouchers"),
            &w.key,
            Some(json!({"template_id": template})),
        )
        .await;
    assert_eq!((s, q["queued"].as_u64()), (202, Some(2)), "{q}");
    let (_, q) = w
        .app
        .call(
            "POST",
            &format!("/api/v1/segments/{id}/vouchers"),
            &w.key,
            Some(json!({"template_id": template})),
        )
        .await;
    assert_eq!(q["queued"], 0);
    let (s, e) = w
        .app
        .call(
            "POST",
            &format!("/api/v1/segments/{id}/vouchers"),
            &w.key,
            Some(json!({"template_id": "vt_nope"})),
        )
        .await;
    assert_eq!((s, code(&e)), (422, "validation_failed"));
    for member in &ids[..2] {
        let source = format!("segment:{id}:{template}:{member}");
        let found = support::voucher_of(&w.app, &w.tenant, &source).await;
        assert!(found.is_some(), "{member} got a voucher");
    }
    // Members as CSV.
    let csv = w
        .app
        .http
        .get(w.app.url(&format!("/api/v1/segments/{id}/members.csv")))
        .bearer_auth(&w.key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("customer_id,following,"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains(&ids[0]) && csv.contains("咖啡控"));
    w.app.stop().await;
}

async fn futures_ids(w: &World) -> Vec<String> {
    let mut ids = Vec::new();
    for f in &w.fans {
        ids.push(customer_of(w, f).await);
    }
    ids
}

async fn counts_follow_follows_tags_merges_and_erasure(backend: Backend) {
    let w = world(backend, FakeConfig::default(), 4).await;
    // A second node on the same database: its counts follow the first's writes.
    let url = w.app.db.as_ref().unwrap().url.clone();
    let b = TestApp::start(Start {
        url: &url,
        extra: &[],
        registry: Registry::standard(),
        migrate: false,
    })
    .await;
    let ids = futures_ids(&w).await;
    let q = json!("tag(\"咖啡控\") and following()");
    // Nobody carries the tag yet: no one, and the name is reported.
    let (s, r) = count(&b, &w.key, q.clone()).await;
    assert_eq!((s, r["count"].as_u64()), (200, Some(0)), "{r}");
    assert_eq!(r["unknown_names"], json!(["tag \"咖啡控\""]));
    assert_eq!(count(&b, &w.key, json!("following()")).await.1["count"], 4);
    for id in &ids[..3] {
        tag(&w, id, &["咖啡控"], &[]).await;
    }
    for node in [&w.app, &b] {
        assert_eq!(count(node, &w.key, q.clone()).await.1["count"], 3);
    }
    // An unfollow leaves the segment at once, on both nodes.
    event(&w.app, &w.account, &w.fans[0], "unsubscribe").await;
    for node in [&b, &w.app] {
        assert_eq!(count(node, &w.key, q.clone()).await.1["count"], 2);
    }
    tag(&w, &ids[1], &[], &["咖啡控"]).await;
    assert_eq!(count(&b, &w.key, q.clone()).await.1["count"], 1);
    // A merge: a Taobao buyer tagged in the shop turns out to be fan 3 (same phone); the merged
    // profile follows and carries the tag.
    let (s, buyer) = w.app.call("POST", "/api/v1/customers/identify", &w.key,
        Some(json!({"identities": [{"kind": "taobao", "value": "tb_coffee"}, {"kind": "phone", "value": "13900001234"}]}))).await;
    assert_eq!(s, 200, "{buyer}");
    tag(&w, buyer["id"].as_str().unwrap(), &["咖啡控"], &[]).await;
    assert_eq!(count(&b, &w.key, q.clone()).await.1["count"], 1);
    let (s, r) = w.app.call("POST", "/api/v1/customers/identify", &w.key,
        Some(json!({"identities": [{"kind": "openid", "value": w.fans[3]}, {"kind": "phone", "value": "13900001234"}]}))).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(count(&b, &w.key, q.clone()).await.1["count"], 2);
    let (_, r) = count(&b, &w.key, json!("has(taobao) and following()")).await;
    assert_eq!(r["count"], 1, "{r}");
    let survivor = r["customer_ids"][0].as_str().unwrap().to_owned();
    assert_eq!(count(&b, &w.key, json!("following()")).await.1["count"], 3);
    // Erasure removes the profile from every segment.
    let (s, _) = w
        .app
        .call(
            "DELETE",
            &format!("/api/v1/customers/{survivor}"),
            &w.key,
            None,
        )
        .await;
    assert_eq!(s, 204);
    for node in [&b, &w.app] {
        assert_eq!(count(node, &w.key, json!("has(phone)")).await.1["count"], 0);
        assert_eq!(
            count(node, &w.key, json!("following()")).await.1["count"],
            2
        );
    }
    // Day-old changes are deleted by maintenance; a node that had not read them yet rebuilds
    // its index instead of missing them.
    tag(&w, &ids[1], &["回头客"], &[]).await;
    tag(&w, &ids[2], &["回头客"], &[]).await;
    let pruned = siyu_store::audience::prune(&w.app.state.store, i64::MAX)
        .await
        .unwrap();
    assert!(pruned > 0);
    for node in [&b, &w.app] {
        assert_eq!(
            count(node, &w.key, json!("tag(\"回头客\")")).await.1["count"],
            2
        );
    }
    tag(&w, &ids[1], &[], &["回头客"]).await;
    assert_eq!(
        count(&b, &w.key, json!("tag(\"回头客\")")).await.1["count"],
        1
    );
    // Activity windows move with time.
    w.app.clock.advance(8 * DAY);
    b.clock.advance(8 * DAY);
    for node in [&b, &w.app] {
        assert_eq!(
            count(node, &w.key, json!("active(within 7d)")).await.1["count"],
            0
        );
        assert_eq!(
            count(node, &w.key, json!("activity(dormant)")).await.1["count"],
            2
        );
    }
    b.stop().await;
    w.app.stop().await;
}

async fn segment(w: &World, name: &str, query: &str) -> String {
    let (s, seg) = w
        .app
        .call(
            "POST",
            "/api/v1/segments",
            &w.key,
            Some(json!({"name": name, "query": query})),
        )
        .await;
    assert_eq!(s, 201, "{seg}");
    seg["id"].as_str().unwrap().to_owned()
}

async fn push(w: &World, segment: &str, content: Value) -> (u16, Value) {
    w.app
        .call(
            "POST",
            "/api/v1/pushes",
            &w.key,
            Some(json!({"segment_id": segment, "content": content})),
        )
        .await
}

async fn pushes_reach_only_their_segment(backend: Backend) {
    let w = world(backend, FakeConfig::default().with_open_service_window(), 5).await;
    let ids = futures_ids(&w).await;
    for id in &ids[..3] {
        tag(&w, id, &["咖啡控"], &[]).await;
    }
    let seg = segment(&w, "咖啡粉", "tag(\"咖啡控\")").await;
    // Bad pushes are refused and change nothing.
    let (s, e) = push(&w, &seg, json!({"type": "text", "text": ""})).await;
    assert_eq!((s, code(&e)), (422, "validation_failed"));
    let (s, e) = push(&w, "sg_nope", json!({"type": "text", "text": "hi"})).await;
    assert_eq!((s, code(&e)), (422, "validation_failed"));
    let (s, e) = push(
        &w,
        &seg,
        json!({"type": "news", "title": "新品", "url": "javascript:x"}),
    )
    .await;
    assert_eq!((s, code(&e)), (422, "validation_failed"));

    // Everyone interacted just now: one customer-service message each, to the segment only.
    let (s, p) = push(&w, &seg, json!({"type": "news", "title": "拿铁新品", "digest": "第二杯半价", "url": "https://shop.example/latte"})).await;
    assert_eq!(s, 201, "{p}");
    let id = p["id"].as_str().unwrap();
    let p = wait_push(&w.app, &w.key, id, &["sent"]).await;
    assert_eq!(p["mode"], "custom");
    assert_eq!(p["measures"]["audience_size"], 3);
    assert_eq!(p["measures"]["delivered"], 3);
    let msgs = w.fake.custom_messages();
    let mut to: Vec<&str> = msgs.iter().map(|m| m["touser"].as_str().unwrap()).collect();
    to.sort_unstable();
    let mut want: Vec<&str> = w.fans[..3].iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(to, want);
    // Each recipient's link is their own; opening it counts a read and leads to the article.
    let link = msgs[0]["news"]["articles"][0]["url"].as_str().unwrap();
    let path = &link[link.find("/p/").unwrap()..];
    let nofollow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for _ in 0..2 {
        let r = nofollow.get(w.app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 302);
        assert_eq!(r.headers()["location"], "https://shop.example/latte");
    }
    assert_eq!(
        nofollow
            .get(w.app.url("/p/forged.token"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // An order within 7 days and an unfollow within 24 hours are the push's.
    let at = w.app.state.now() + 60_000;
    w.app
        .state
        .store
        .execute_raw(&format!(
            "INSERT INTO customer_orders (tenant_id, source, order_id, customer_id, amount_fen, state, sku, ordered_at, imported_at)
             VALUES ('{}', 'pos', 'P-1', '{}', 3200, 'paid', 'LATTE-L', {at}, {at})",
            w.tenant, ids[1]
        ))
        .await
        .unwrap();
    w.app.clock.advance(3_600_000);
    event(&w.app, &w.account, &w.fans[2], "unsubscribe").await;
    let (_, p) = w.app.get(&format!("/api/v1/pushes/{id}"), &w.key).await;
    let m = &p["measures"];
    assert_eq!(
        (m["reads"].as_i64(), m["clicks"].as_i64()),
        (Some(1), Some(2)),
        "{m}"
    );
    assert_eq!(m["orders"], 1, "{m}");
    assert_eq!(m["revenue_fen"], 3200);
    assert_eq!(
        (m["unfollows_24h"].as_i64(), m["unfollows_72h"].as_i64()),
        (Some(1), Some(1))
    );
    assert!(m["excess_unfollows_72h"].as_f64().unwrap() > 0.0);

    // Three days later nobody is inside the 48-hour window: one mass send to the segment's
    // WeChat tag, which holds exactly the segment's following fans.
    w.app.clock.advance(3 * DAY);
    tag(&w, &ids[3], &["咖啡控"], &[]).await;
    let (s, p) = push(&w, &seg, json!({"type": "text", "text": "周末咖啡节"})).await;
    assert_eq!(s, 201);
    let id = p["id"].as_str().unwrap();
    let p = wait_push(&w.app, &w.key, id, &["submitted"]).await;
    assert_eq!(p["mode"], "mass");
    assert_eq!(p["measures"]["audience_size"], 3, "fan 2 unfollowed: {p}");
    let mass = w.fake.mass_messages();
    assert_eq!(mass.len(), 1);
    let tag_id = mass[0].body["filter"]["tag_id"].as_i64().unwrap();
    let tagged = w.fake.tags().into_iter().find(|t| t.id == tag_id).unwrap();
    let mut members = tagged.members.clone();
    members.sort();
    let mut want = vec![w.fans[0].clone(), w.fans[1].clone(), w.fans[3].clone()];
    want.sort();
    assert_eq!(members, want);
    // WeChat reports the result.
    let msg_id = mass[0].msg_id;
    let now = w.app.state.now() / 1000;
    let xml = format!("<xml><ToUserName>gh_x</ToUserName><FromUserName>system</FromUserName><CreateTime>{now}</CreateTime><MsgType>event</MsgType><Event>MASSSENDJOBFINISH</Event><MsgID>{msg_id}</MsgID><Status>send success</Status><TotalCount>3</TotalCount><FilterCount>3</FilterCount><SentCount>3</SentCount><ErrorCount>0</ErrorCount></xml>");
    let (s, _) = support::wechat_post_plain(&w.app, &w.account, TOKEN, &xml).await;
    assert_eq!(s, 200);
    let (_, p) = w.app.get(&format!("/api/v1/pushes/{id}"), &w.key).await;
    assert_eq!(p["status"], "sent");
    assert_eq!(p["measures"]["delivered"], 3);

    // The next mass send to the segment untags who left and tags who joined; WeChat being
    // busy once (-1) is retried with the same clientmsgid, and an erased fan is nobody's
    // recipient.
    tag(&w, &ids[0], &[], &["咖啡控"]).await;
    tag(&w, &ids[4], &["咖啡控"], &[]).await;
    let (s, _) = w
        .app
        .call(
            "DELETE",
            &format!("/api/v1/customers/{}", ids[4]),
            &w.key,
            None,
        )
        .await;
    assert_eq!(s, 204);
    w.fake.fail_next("/cgi-bin/message/mass/sendall", -1, 1);
    let (_, p) = push(&w, &seg, json!({"type": "text", "text": "新豆到店"})).await;
    let p = wait_push(&w.app, &w.key, p["id"].as_str().unwrap(), &["submitted"]).await;
    assert_eq!(p["measures"]["audience_size"], 2, "{p}");
    assert_eq!(
        w.fake.mass_messages().len(),
        2,
        "one send despite the retry"
    );
    let tagged = w.fake.tags().into_iter().find(|t| t.id == tag_id).unwrap();
    let mut members = tagged.members.clone();
    members.sort();
    let mut want = vec![w.fans[1].clone(), w.fans[3].clone()];
    want.sort();
    assert_eq!(members, want);

    // A scheduled push can be cancelled before it starts, not after.
    let later = w.app.state.now() + DAY;
    let (_, p) = w.app.call("POST", "/api/v1/pushes", &w.key,
        Some(json!({"segment_id": seg, "content": {"type": "text", "text": "明天见"}, "send_at": later}))).await;
    let id = p["id"].as_str().unwrap();
    assert_eq!(p["status"], "scheduled");
    let (s, p) = w
        .app
        .call("POST", &format!("/api/v1/pushes/{id}/cancel"), &w.key, None)
        .await;
    assert_eq!((s, p["status"].as_str()), (200, Some("cancelled")));
    let (s, e) = w
        .app
        .call("POST", &format!("/api/v1/pushes/{id}/cancel"), &w.key, None)
        .await;
    assert_eq!((s, code(&e)), (409, "push_already_started"));
    w.app.clock.advance(2 * DAY);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        w.fake.mass_messages().len(),
        2,
        "a cancelled push sends nothing"
    );
    w.app.stop().await;
}

async fn a_resumed_push_sends_to_no_fan_twice(backend: Backend) {
    let fake = FakeConfig::default()
        .with_open_service_window()
        .with_latency("/cgi-bin/message/custom/send", Duration::from_millis(60));
    let db = TestDb::new(backend).await;
    let fake = siyu_fake_wechat::spawn(fake.with_followers(8)).await;
    // No worker: the test runs the job itself, and kills it midway.
    let app = TestApp::start(Start {
        url: &db.url,
        extra: &[
            ("SIYU_WECHAT_API_BASE", fake.base_url()),
            ("SIYU_RUN_JOBS", "false"),
        ],
        registry: Registry::standard(),
        migrate: true,
    })
    .await;
    let (_, key) = app.tenant("断点续发").await;
    let (_, a) = app
        .call("POST", "/api/v1/wechat/accounts", &key, Some(json!({"app_id": "wx00000000000000d2", "app_secret": "0123456789abcdef0123456789abcdef", "token": TOKEN, "mode": "plain"})))
        .await;
    let account = a["id"].as_str().unwrap().to_owned();
    let fans = fake.follower_openids();
    for f in &fans {
        event(&app, &account, f, "subscribe").await;
    }
    let (_, seg) = app
        .call(
            "POST",
            "/api/v1/segments",
            &key,
            Some(json!({"name": "全部粉丝", "query": "following()"})),
        )
        .await;
    let (_, p) = app
        .call(
            "POST",
            "/api/v1/pushes",
            &key,
            Some(json!({"segment_id": seg["id"], "content": {"type": "text", "text": "会员日"}})),
        )
        .await;
    let id = p["id"].as_str().unwrap().to_owned();
    let job = || siyu_server::pushes::SendPush {
        push_id: id.clone(),
    };
    let first = tokio::spawn(siyu_server::pushes::run(app.state.clone(), job()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    first.abort();
    let _ = first.await;
    let before = fake.custom_messages().len();
    assert!(before > 0 && before < 8, "killed midway: {before}");
    // Two runners resume at once.
    let (r1, r2) = tokio::join!(
        siyu_server::pushes::run(app.state.clone(), job()),
        siyu_server::pushes::run(app.state.clone(), job())
    );
    r1.unwrap();
    r2.unwrap();
    let msgs = fake.custom_messages();
    let mut to: Vec<String> = msgs
        .iter()
        .map(|m| m["touser"].as_str().unwrap().to_owned())
        .collect();
    to.sort();
    let n = to.len();
    to.dedup();
    assert_eq!(to.len(), n, "no fan got the push twice");
    assert!(
        n >= 7,
        "at most the one message in flight when killed is lost: {n}"
    );
    let (_, p) = app.get(&format!("/api/v1/pushes/{id}"), &key).await;
    assert_eq!(p["status"], "sent");
    // A message in flight when the job was killed may have arrived; it is not counted as
    // delivered (nobody knows), never resent.
    let delivered = p["measures"]["delivered"].as_i64().unwrap() as usize;
    assert!(delivered == n || delivered + 1 == n, "{delivered} of {n}");
    // Running it again sends nothing more.
    siyu_server::pushes::run(app.state.clone(), job())
        .await
        .unwrap();
    assert_eq!(fake.custom_messages().len(), n);

    // A mass send resumed after WeChat accepted it is recognised by its clientmsgid.
    app.clock.advance(3 * DAY);
    let (_, p) = app
        .call(
            "POST",
            "/api/v1/pushes",
            &key,
            Some(json!({"segment_id": seg["id"], "content": {"type": "text", "text": "周年庆"}})),
        )
        .await;
    let mid = p["id"].as_str().unwrap().to_owned();
    let mjob = || siyu_server::pushes::SendPush {
        push_id: mid.clone(),
    };
    siyu_server::pushes::run(app.state.clone(), mjob())
        .await
        .unwrap();
    assert_eq!(fake.mass_messages().len(), 1);
    // As if the node died before recording the submission.
    app.state
        .store
        .execute_raw(&format!(
            "UPDATE pushes SET status = 'sending', msg_id = NULL WHERE id = '{mid}'"
        ))
        .await
        .unwrap();
    siyu_server::pushes::run(app.state.clone(), mjob())
        .await
        .unwrap();
    assert_eq!(fake.mass_messages().len(), 1, "WeChat saw one mass send");
    let (_, p) = app.get(&format!("/api/v1/pushes/{mid}"), &key).await;
    assert_eq!(p["status"], "submitted");
    app.stop().await;
}

async fn mass_sends_are_limited_per_month(backend: Backend) {
    let w = world(
        backend,
        FakeConfig::default().with_mass_monthly_quota(10),
        3,
    )
    .await;
    w.app.clock.advance(3 * DAY);
    let seg = segment(&w, "全部", "following()").await;
    let (_, list) = w.app.get("/api/v1/pushes", &w.key).await;
    let left = list["mass_remaining"].as_i64().unwrap();
    assert!(left >= 1);
    for i in 0..left {
        let (s, p) = push(
            &w,
            &seg,
            json!({"type": "text", "text": format!("第{i}次")}),
        )
        .await;
        assert_eq!(s, 201, "{p}");
        wait_push(&w.app, &w.key, p["id"].as_str().unwrap(), &["submitted"]).await;
    }
    let (_, list) = w.app.get("/api/v1/pushes", &w.key).await;
    assert_eq!(list["mass_remaining"], 0);
    let (s, e) = push(&w, &seg, json!({"type": "text", "text": "再来一次"})).await;
    assert_eq!((s, code(&e)), (409, "mass_quota_exhausted"));
    assert!(e["error"]["message"].as_str().unwrap().contains("4"));
    assert_eq!(w.fake.mass_messages().len() as i64, left);
    w.app.stop().await;
}

async fn segments_and_pushes_in_the_console(backend: Backend) {
    let w = world(backend, FakeConfig::default().with_open_service_window(), 3).await;
    let ids = futures_ids(&w).await;
    tag(&w, &ids[0], &["咖啡控"], &[]).await;
    let login = "seg-owner";
    w.app
        .staff(Some(&w.tenant), login, "owner", "correct horse battery")
        .await;
    let http = support::console_login(&w.app, login, "correct horse battery").await;
    let page = http
        .get(w.app.url("/console/segments"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("人群分组") && page.contains("segment-query"),
        "{page}"
    );
    let csrf = support::csrf_of(&page);
    // The live count as the merchant types, and where a query goes wrong.
    let live = |q: &str| {
        let http = http.clone();
        let url = w.app.url("/console/segments/count");
        let form = vec![
            ("query".to_owned(), q.to_owned()),
            ("csrf".to_owned(), csrf.clone()),
        ];
        let h = support::csrf_of_header(&page);
        async move {
            http.post(url)
                .header("x-csrf-token", h)
                .form(&form)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let ok = live("tag(\"咖啡控\")").await;
    assert!(ok.contains("id=\"segment-count\">1<"), "{ok}");
    assert!(ok.contains(&ids[0]));
    let bad = live("tag(\"咖啡控\") and (").await;
    assert!(bad.contains("segment-error") && bad.contains("▍"), "{bad}");
    let r = http
        .post(w.app.url("/console/segments"))
        .form(&[
            ("name", "咖啡粉"),
            ("query", "tag(\"咖啡控\")"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = http
        .get(w.app.url("/console/segments"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("咖啡粉") && page.contains("members.csv"));
    let (_, segs) = w.app.get("/api/v1/segments", &w.key).await;
    let sid = segs["items"][0]["id"].as_str().unwrap();
    let r = http
        .get(w.app.url(&format!("/console/segments/{sid}/members.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(".csv"));
    let csv = r.text().await.unwrap();
    assert!(
        csv.starts_with("customer_id,") && csv.contains(&ids[0]),
        "{csv}"
    );
    // A push from the console, measured on its page.
    let page = http
        .get(w.app.url("/console/pushes"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("本月剩余群发次数"), "{page}");
    let (_, segs) = w.app.get("/api/v1/segments", &w.key).await;
    let seg = segs["items"][0]["id"].as_str().unwrap();
    let r = http
        .post(w.app.url("/console/pushes"))
        .form(&[
            ("segment_id", seg),
            ("kind", "text"),
            ("text", "今日特价"),
            ("send_at", ""),
            ("csrf", &support::csrf_of(&page)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let at = r.headers()["location"].to_str().unwrap().to_owned();
    let id = at.rsplit('/').next().unwrap();
    wait_push(&w.app, &w.key, id, &["sent"]).await;
    let detail = http
        .get(w.app.url(&at))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        detail.contains("已发送") && detail.contains("id=\"m-delivered\">1<"),
        "{detail}"
    );
    // English works too.
    let r = http
        .post(w.app.url("/console/pushes"))
        .form(&[
            ("segment_id", seg),
            ("kind", "text"),
            ("text", ""),
            ("csrf", &support::csrf_of(&detail)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    w.app.stop().await;
}
