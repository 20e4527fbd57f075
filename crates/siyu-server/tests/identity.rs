//! One customer, every channel: identify, stitch, merge and undo, tags, export and erasure,
//! through the API, on both backends and across two nodes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.

mod support;

use serde_json::{json, Value};
use siyu_store::testing::TestDb;
use siyu_store::Backend;
use support::{code, Start, TestApp};

async fn identify(app: &TestApp, key: &str, body: Value) -> (u16, Value) {
    app.call("POST", "/api/v1/customers/identify", key, Some(body))
        .await
}

async fn ok(app: &TestApp, key: &str, body: Value) -> Value {
    let (s, v) = identify(app, key, body).await;
    assert_eq!(s, 200, "{v}");
    v
}

async fn lookup(app: &TestApp, key: &str, ident: &str) -> Vec<String> {
    let q: String = url_encode(ident);
    let (s, v) = app
        .get(&format!("/api/v1/customers?identity={q}"), key)
        .await;
    assert_eq!(s, 200, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn kinds(c: &Value) -> Vec<String> {
    let mut k: Vec<String> = c["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{}:{}",
                i["kind"].as_str().unwrap(),
                i["value"].as_str().unwrap()
            )
        })
        .collect();
    k.sort();
    k
}

story!(
    identify_creates_links_and_normalises,
    merge_keeps_the_older_and_undo_restores_both_sides,
    unique_kinds_and_shared_phones_do_not_merge,
    bad_input_changes_nothing,
    tags_export_and_erasure,
    concurrent_identifies_make_one_customer,
    the_console_shows_one_customer_and_undoes_merges,
    activity_and_rfm,
    console_upload_imports,
    tenants_set_their_own_placeholders
);

async fn identify_creates_links_and_normalises(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key) = app.tenant("一家店").await;
    let c = ok(
        &app,
        &key,
        json!({"identities": [{"kind": "phone", "value": "138 1234 5678"}, {"kind": "taobao", "value": "小明的店"}],
               "attributes": {"name": "小明", "province": "安徽", "city": "合肥"}}),
    )
    .await;
    assert_eq!(c["stitching"]["created"], true);
    assert_eq!(
        kinds(&c),
        ["phone:+8613812345678", "taobao:小明的店"].map(String::from)
    );
    assert_eq!(c["attributes"]["city"], "合肥");
    assert_eq!(c["attributes"]["province"], "安徽");
    let id = c["id"].as_str().unwrap().to_owned();
    // Found by any identity, the phone given in E.164 (also unencoded: `+` arrives as a space).
    assert_eq!(
        lookup(&app, &key, "phone:+8613812345678").await,
        [id.as_str()]
    );
    assert_eq!(
        app.get("/api/v1/customers?identity=phone:+8613812345678", &key)
            .await
            .1["items"][0]["id"],
        json!(id)
    );
    assert_eq!(lookup(&app, &key, "taobao:小明的店").await, [id.as_str()]);
    assert!(lookup(&app, &key, "jd:nobody").await.is_empty());
    // The same identities again change nothing; a new one is linked.
    let again = ok(
        &app,
        &key,
        json!({"identities": [{"kind": "phone", "value": "+86 138-1234-5678"}, {"kind": "email", "value": "XM@Example.com"}]}),
    )
    .await;
    assert_eq!(again["id"], json!(id));
    assert_eq!(again["stitching"]["created"], false);
    assert!(kinds(&again).contains(&"email:xm@example.com".to_owned()));
    let (s, got) = app.get(&format!("/api/v1/customers/{id}"), &key).await;
    assert_eq!(s, 200);
    assert_eq!(got["first_channel"], Value::Null);
    assert_eq!(got["last_channel"], Value::Null);
    // An openid without an Official Account to belong to is refused with the field named.
    let (s, e) = identify(
        &app,
        &key,
        json!({"identities": [{"kind": "openid", "value": "o_x"}]}),
    )
    .await;
    assert_eq!((s, code(&e)), (422, "validation_failed"));
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("identities[0].scope"),
        "{e}"
    );
    // With a scope it is fine.
    let c = ok(
        &app,
        &key,
        json!({"identities": [{"kind": "openid", "value": "o_x", "scope": "wx_mini_app"}, {"kind": "member_card", "value": "VIP0001"}]}),
    )
    .await;
    assert_eq!(
        lookup(&app, &key, "openid:o_x").await,
        [c["id"].as_str().unwrap().to_owned()]
    );
    assert_eq!(lookup(&app, &key, "member_card:VIP0001").await.len(), 1);
    app.stop().await;
}

async fn merge_keeps_the_older_and_undo_restores_both_sides(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key) = app.tenant("合并").await;
    let old = ok(
        &app,
        &key,
        json!({"identities": [{"kind": "unionid", "value": "u_1"}], "attributes": {"name": "老王", "birthday": "1990-01-01"}}),
    )
    .await;
    app.clock.advance(5_000);
    let young = ok(
        &app,
        &key,
        json!({"identities": [{"kind": "phone", "value": "13912340001"}, {"kind": "jd", "value": "jd_wang"}],
               "attributes": {"birthday": "1991-02-02", "city": "上海"}}),
    )
    .await;
    let (old_id, young_id) = (
        old["id"].as_str().unwrap().to_owned(),
        young["id"].as_str().unwrap().to_owned(),
    );
    app.call(
        "POST",
        &format!("/api/v1/customers/{young_id}/tags"),
        &key,
        Some(json!({"add": ["京东"]})),
    )
    .await;
    app.clock.advance(5_000);
    // The mini program login carries both: one customer, the older profile survives.
    let merged = ok(
        &app,
        &key,
        json!({"identities": [{"kind": "unionid", "value": "u_1"}, {"kind": "phone", "value": "13912340001"}]}),
    )
    .await;
    assert_eq!(merged["id"], json!(old_id));
    assert_eq!(merged["stitching"]["merges"], 1);
    assert_eq!(
        kinds(&merged),
        ["jd:jd_wang", "phone:+8613912340001", "unionid:u_1"].map(String::from)
    );
    assert_eq!(merged["merged_ids"], json!([young_id]));
    assert_eq!(merged["tags"], json!(["京东"]));
    assert_eq!(merged["attributes"]["name"], "老王");
    assert_eq!(
        merged["attributes"]["birthday"], "1990-01-01",
        "birthday keeps the oldest"
    );
    assert_eq!(merged["attributes"]["city"], "上海");
    // The absorbed id still leads to the customer; lookups find the survivor.
    assert_eq!(
        app.get(&format!("/api/v1/customers/{young_id}"), &key)
            .await
            .1["id"],
        json!(old_id)
    );
    assert_eq!(lookup(&app, &key, "jd:jd_wang").await, [old_id.as_str()]);
    assert_eq!(
        app.get("/api/v1/customers", &key).await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let (_, merges) = app
        .get(&format!("/api/v1/customers/{old_id}/merges"), &key)
        .await;
    let items = merges["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let reason = items[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("unionid") && reason.contains("phone"),
        "{reason}"
    );
    assert!(
        !reason.contains("13912340001"),
        "values are masked: {reason}"
    );
    let merge_id = items[0]["id"].as_str().unwrap().to_owned();

    // Something set after the merge stays with the survivor.
    ok(&app, &key, json!({"identities": [{"kind": "unionid", "value": "u_1"}], "attributes": {"name": "王先生"}})).await;

    let (s, undone) = app
        .call(
            "POST",
            &format!("/api/v1/merges/{merge_id}/undo"),
            &key,
            None,
        )
        .await;
    assert_eq!(s, 200, "{undone}");
    assert!(undone["undone_at"].is_i64());
    let (_, a) = app.get(&format!("/api/v1/customers/{old_id}"), &key).await;
    let (_, b) = app
        .get(&format!("/api/v1/customers/{young_id}"), &key)
        .await;
    assert_eq!(b["id"], json!(young_id));
    assert_eq!(kinds(&a), ["unionid:u_1"].map(String::from));
    assert_eq!(
        kinds(&b),
        ["jd:jd_wang", "phone:+8613912340001"].map(String::from)
    );
    assert_eq!(a["attributes"]["name"], "王先生");
    assert_eq!(a["attributes"].get("city"), None);
    assert_eq!(b["attributes"]["birthday"], "1991-02-02");
    assert_eq!(b["tags"], json!(["京东"]));
    assert_eq!(a["tags"], json!([]));
    assert_eq!(
        lookup(&app, &key, "phone:+8613912340001").await,
        [young_id.as_str()]
    );
    // Twice is refused, and the history shows it undone.
    let (s, e) = app
        .call(
            "POST",
            &format!("/api/v1/merges/{merge_id}/undo"),
            &key,
            None,
        )
        .await;
    assert_eq!((s, code(&e)), (409, "merge_already_undone"));
    let (_, merges) = app
        .get(&format!("/api/v1/customers/{young_id}/merges"), &key)
        .await;
    assert!(merges["items"][0]["undone_at"].is_i64());

    // A restarted node rebuilds the graph from the log and stitches the same way.
    let db = app.db.as_ref().map(|d| d.url.clone()).unwrap();
    let other = TestApp::start(Start {
        url: &db,
        extra: &[],
        registry: siyu_server::jobs::Registry::standard(),
        migrate: false,
    })
    .await;
    let again = ok(
        &other,
        &key,
        json!({"identities": [{"kind": "unionid", "value": "u_1"}, {"kind": "jd", "value": "jd_wang"}]}),
    )
    .await;
    assert_eq!(again["id"], json!(old_id));
    assert_eq!(again["stitching"]["merges"], 1);
    // …and the first node, whose graph is now behind, catches up before writing.
    let (_, merges) = app
        .get(&format!("/api/v1/customers/{old_id}/merges"), &key)
        .await;
    assert_eq!(
        merges["items"].as_array().unwrap().len(),
        2,
        "newest first: {merges}"
    );
    let newest = merges["items"][0]["id"].as_str().unwrap().to_owned();
    let (s, _) = app
        .call("POST", &format!("/api/v1/merges/{newest}/undo"), &key, None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        lookup(&other, &key, "jd:jd_wang").await,
        [young_id.as_str()]
    );
    other.stop().await;
    app.stop().await;
}

async fn unique_kinds_and_shared_phones_do_not_merge(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key) = app.tenant("规则").await;
    let a = ok(&app, &key, json!({"identities": [{"kind": "unionid", "value": "u_a"}, {"kind": "phone", "value": "13700000001"}]})).await;
    let b = ok(&app, &key, json!({"identities": [{"kind": "unionid", "value": "u_b"}, {"kind": "weibo", "value": "wb_b"}]})).await;
    // A phone and a Weibo uid seen together, but the two profiles have different unionids.
    let c = ok(&app, &key, json!({"identities": [{"kind": "phone", "value": "13700000001"}, {"kind": "weibo", "value": "wb_b"}]})).await;
    assert_eq!(c["stitching"]["merges"], 0);
    assert_eq!(c["stitching"]["conflicts"], 1, "{c}");
    let (_, review) = app.get("/api/v1/identity/conflicts", &key).await;
    assert_eq!(review["items"][0]["kind"], "unionid");
    let pair = [
        &review["items"][0]["kept_id"],
        &review["items"][0]["apart_id"],
    ];
    assert!(
        pair.contains(&&a["id"]) && pair.contains(&&b["id"]),
        "{review}"
    );
    assert!(
        !review.to_string().contains("13700000001"),
        "values are masked: {review}"
    );
    assert_ne!(a["id"], b["id"]);
    assert_eq!(
        app.get("/api/v1/customers", &key).await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // A front-desk phone on three customers is shared: it links no fourth and merges nothing.
    for i in 0..3 {
        ok(&app, &key, json!({"identities": [{"kind": "taobao", "value": format!("buyer{i}")}, {"kind": "phone", "value": "13611112222"}]})).await;
    }
    let before = lookup(&app, &key, "phone:+8613611112222").await;
    let d = ok(&app, &key, json!({"identities": [{"kind": "jd", "value": "jd_x"}, {"kind": "phone", "value": "13611112222"}]})).await;
    assert_eq!(d["stitching"]["created"], true);
    assert!(
        d["stitching"]["ignored"].to_string().contains("shared"),
        "{d}"
    );
    assert_eq!(lookup(&app, &key, "phone:+8613611112222").await, before);
    // Placeholders never link anything.
    let e = ok(&app, &key, json!({"identities": [{"kind": "jd", "value": "jd_y"}, {"kind": "phone", "value": "13800000000"}]})).await;
    assert!(lookup(&app, &key, "phone:+8613800000000").await.is_empty());
    assert!(
        e["stitching"]["ignored"]
            .to_string()
            .contains("placeholder"),
        "{e}"
    );
    app.stop().await;
}

async fn bad_input_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key) = app.tenant("坏输入").await;
    let c = ok(
        &app,
        &key,
        json!({"identities": [{"kind": "email", "value": "a@b.cn"}]}),
    )
    .await;
    let id = c["id"].as_str().unwrap().to_owned();
    let before = app.get("/api/v1/customers", &key).await.1;
    for (body, field) in [
        (json!({"identities": []}), "identities"),
        (
            json!({"identities": [{"kind": "qq", "value": "1"}]}),
            "identities[0].kind",
        ),
        (
            json!({"identities": [{"kind": "phone", "value": "12"}]}),
            "identities[0].value",
        ),
        (
            json!({"identities": [{"kind": "phone", "value": "null"}]}),
            "identities",
        ),
        (
            json!({"identities": [{"kind": "email", "value": "a@b.cn"}], "attributes": {"age": 1.5}}),
            "attributes.age",
        ),
        (
            json!({"identities": [{"kind": "unionid", "value": "u1"}, {"kind": "unionid", "value": "u2"}]}),
            "identities",
        ),
    ] {
        let (s, e) = identify(&app, &key, body.clone()).await;
        assert_eq!((s, code(&e)), (422, "validation_failed"), "{body}: {e}");
        assert!(
            e["error"]["message"].as_str().unwrap().starts_with(field),
            "{body}: {e}"
        );
    }
    let (s, e) = app
        .call(
            "POST",
            &format!("/api/v1/customers/{id}/tags"),
            &key,
            Some(json!({"add": [""]})),
        )
        .await;
    assert_eq!((s, code(&e)), (422, "validation_failed"));
    let (s, _) = app
        .call("POST", "/api/v1/merges/mg_nothing/undo", &key, None)
        .await;
    assert_eq!(s, 404);
    assert_eq!(app.get("/api/v1/customers", &key).await.1, before);
    app.stop().await;
}

async fn tags_export_and_erasure(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key) = app.tenant("隐私").await;
    let c = ok(&app, &key, json!({"identities": [{"kind": "phone", "value": "13512345678"}, {"kind": "weibo", "value": "wb_1"}], "attributes": {"name": "张三"}})).await;
    let id = c["id"].as_str().unwrap().to_owned();
    let (s, t) = app
        .call(
            "POST",
            &format!("/api/v1/customers/{id}/tags"),
            &key,
            Some(json!({"add": ["咖啡控", "会员", "咖啡控"]})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(t["tags"], json!(["会员", "咖啡控"]));
    let (_, t) = app
        .call(
            "POST",
            &format!("/api/v1/customers/{id}/tags"),
            &key,
            Some(json!({"remove": ["会员"]})),
        )
        .await;
    assert_eq!(t["tags"], json!(["咖啡控"]));

    let (s, export) = app
        .get(&format!("/api/v1/customers/{id}/export"), &key)
        .await;
    assert_eq!(s, 200);
    assert_eq!(export["customer"]["attributes"]["name"], "张三");
    assert_eq!(export["customer"]["tags"], json!(["咖啡控"]));
    assert!(export["identities"].to_string().contains("+8613512345678"));

    let (s, _) = app
        .call("DELETE", &format!("/api/v1/customers/{id}"), &key, None)
        .await;
    assert_eq!(s, 204);
    assert!(lookup(&app, &key, "phone:+8613512345678").await.is_empty());
    assert!(lookup(&app, &key, "weibo:wb_1").await.is_empty());
    assert_eq!(
        app.get(&format!("/api/v1/customers/{id}"), &key).await.0,
        404
    );
    assert_eq!(
        app.get(&format!("/api/v1/customers/{id}/export"), &key)
            .await
            .0,
        404
    );
    assert_eq!(
        app.call("DELETE", &format!("/api/v1/customers/{id}"), &key, None)
            .await
            .0,
        404
    );
    // Audited, without the personal data.
    let audit = app.get("/api/v1/audit-log", &key).await.1.to_string();
    assert!(audit.contains("customer.erase"));
    assert!(
        !audit.contains("13512345678") && !audit.contains("张三"),
        "{audit}"
    );
    // Nothing of the values is left in the identity log either.
    let tenant = siyu_domain::TenantId::parse(
        app.get("/api/v1/tenant", &key).await.1["id"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let log = siyu_store::profiles::log_bodies(&app.state.store, &tenant)
        .await
        .unwrap();
    assert!(!log.is_empty());
    assert!(log
        .iter()
        .all(|b| !b.contains("13512345678") && !b.contains("wb_1")));
    // The same person coming back is a new customer.
    let again = ok(
        &app,
        &key,
        json!({"identities": [{"kind": "weibo", "value": "wb_1"}]}),
    )
    .await;
    assert_eq!(again["stitching"]["created"], true);
    assert_ne!(again["id"], json!(id));
    app.stop().await;
}

/// Many identifies at once, some through a second node, all carrying one unionid: one
/// customer comes out, holding every openid.
async fn concurrent_identifies_make_one_customer(backend: Backend) {
    let db = TestDb::new(backend).await;
    let start = |migrate| Start {
        url: &db.url,
        extra: &[],
        registry: siyu_server::jobs::Registry::standard(),
        migrate,
    };
    let a = TestApp::start(start(true)).await;
    let b = TestApp::start(start(false)).await;
    let (_, key) = a.tenant("并发").await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let node = if i % 2 == 0 { &a } else { &b };
        let (http, url, key) = (
            node.http.clone(),
            node.url("/api/v1/customers/identify"),
            key.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let body = json!({"identities": [{"kind": "openid", "value": format!("o_{i}"), "scope": format!("wx_app_{i}")}, {"kind": "unionid", "value": "u_same"}]});
            let r = http.post(url).bearer_auth(key).json(&body).send().await.unwrap();
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let ids = lookup(&a, &key, "unionid:u_same").await;
    assert_eq!(ids.len(), 1);
    let (_, c) = b.get(&format!("/api/v1/customers/{}", ids[0]), &key).await;
    assert_eq!(c["identities"].as_array().unwrap().len(), 17, "{c}");
    assert_eq!(
        a.get("/api/v1/customers", &key).await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    b.stop().await;
    a.stop().await;
}

async fn the_console_shows_one_customer_and_undoes_merges(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("控制台").await;
    app.staff(Some(&tenant), "owner-c", "owner", "correct-horse")
        .await;
    let a = ok(&app, &key, json!({"identities": [{"kind": "unionid", "value": "u_c"}], "attributes": {"name": "陈女士"}})).await;
    let b = ok(&app, &key, json!({"identities": [{"kind": "taobao", "value": "chen_tb"}, {"kind": "phone", "value": "13711112222"}]})).await;
    let m = ok(&app, &key, json!({"identities": [{"kind": "unionid", "value": "u_c"}, {"kind": "phone", "value": "13711112222"}]})).await;
    assert_eq!(m["stitching"]["merges"], 1);
    let id = a["id"].as_str().unwrap();
    let http = support::console_login(&app, "owner-c", "correct-horse").await;
    let get = |path: String| {
        let http = http.clone();
        let url = app.url(&path);
        async move { http.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let page = get(format!("/console/fans/{id}")).await;
    for needle in ["陈女士", "chen_tb", "+8613711112222", "u_c", "undo-merge"] {
        assert!(page.contains(needle), "{needle} on the profile page");
    }
    let review = get("/console/conflicts".into()).await;
    assert!(review.contains("待核对的档案") && review.contains("没有待核对的档案"));
    // Search by phone finds the customer.
    let list = get("/console/fans?q=13711112222".into()).await;
    assert!(list.contains(&format!("/console/fans/{id}")), "{list}");
    // Tags from the form.
    let r = http
        .post(app.url(&format!("/console/fans/{id}/tags")))
        .form(&[("add", "咖啡控，VIP"), ("csrf", &support::csrf_of(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = get(format!("/console/fans/{id}")).await;
    assert!(page.contains("咖啡控") && page.contains("VIP"));
    assert!(get("/console/fans?tag=VIP".into())
        .await
        .contains(&format!("/console/fans/{id}")));
    // Undo from the merge history.
    let merge = app
        .get(&format!("/api/v1/customers/{id}/merges"), &key)
        .await
        .1["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = http
        .post(app.url(&format!("/console/merges/{merge}/undo")))
        .form(&[("csrf", &support::csrf_of(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = get(format!("/console/fans/{id}")).await;
    assert!(!page.contains("chen_tb"), "the taobao identity went back");
    let other = get(format!("/console/fans/{}", b["id"].as_str().unwrap())).await;
    assert!(other.contains("chen_tb"));
    // Consent recorded from the console.
    let r = http
        .post(app.url(&format!("/console/fans/{id}/consents")))
        .form(&[
            ("csrf", support::csrf_of(&page).as_str()),
            ("marketing", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, v) = app.get(&format!("/api/v1/customers/{id}"), &key).await;
    assert_eq!(
        (
            v["consents"]["marketing"]["granted"].as_bool(),
            v["consents"]["sms"]["granted"].as_bool()
        ),
        (Some(true), Some(false))
    );
    assert_eq!(v["consents"]["marketing"]["source"], "console");
    // Export and erase.
    let export = http
        .get(app.url(&format!("/console/fans/{id}/export")))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    assert!(export.text().await.unwrap().contains("u_c"));
    let r = http
        .post(app.url(&format!("/console/fans/{id}/erase")))
        .form(&[("csrf", &support::csrf_of(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{id}"), &key).await.0,
        404
    );
    app.stop().await;
}

async fn activity_and_rfm(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("活跃").await;
    let c = ok(
        &app,
        &key,
        json!({"identities": [{"kind": "taobao", "value": "buyer_rfm"}]}),
    )
    .await;
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(c["activity"]["state"], "not_a_fan");
    assert_eq!(c["rfm"], Value::Null);
    let tenant = siyu_domain::TenantId::parse(&tenant).unwrap();
    let now = app.state.now();
    let mut tx = app.state.store.begin().await.unwrap();
    siyu_store::customers::record_follow(
        &mut tx, &tenant, &id, "wa_x", true, None, "test", now, now,
    )
    .await
    .unwrap();
    siyu_store::customers::touch(&mut tx, &id, now - 86_400_000, now)
        .await
        .unwrap();
    for (i, (days, fen, state)) in [
        (3, 120_000, "completed"),
        (40, 90_000, "completed"),
        (100, 50_000, "paid"),
        (5, 999_999, "refunding"),
    ]
    .into_iter()
    .enumerate()
    {
        let order = siyu_store::profiles::OrderRow {
            source: "taobao-orders".into(),
            order_id: format!("T{i}"),
            customer_id: id.clone(),
            amount_fen: fen,
            state: Some(state.into()),
            sku: None,
            items: None,
            quantity: Some(1),
            ordered_at: Some(now - days * 86_400_000),
            paid_at: None,
        };
        assert!(
            siyu_store::profiles::insert_order(&mut tx, &tenant, &order, now)
                .await
                .unwrap()
        );
    }
    tx.commit().await.unwrap();
    let (_, c) = app.get(&format!("/api/v1/customers/{id}"), &key).await;
    assert_eq!(c["activity"]["state"], "active", "{c}");
    assert!(c["activity"]["score"].as_u64().unwrap() > 50);
    // The refund in progress does not count.
    assert_eq!(
        (
            c["rfm"]["frequency"].as_i64(),
            c["rfm"]["monetary_fen"].as_i64()
        ),
        (Some(3), Some(260_000))
    );
    assert_eq!(
        (c["rfm"]["r"].as_u64(), c["rfm"]["segment"].as_str()),
        (Some(5), Some("important_value"))
    );
    // Later, without interactions, the fan goes dormant, then lost.
    app.clock.advance(10 * 86_400_000);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{id}"), &key).await.1["activity"]["state"],
        "dormant"
    );
    app.clock.advance(30 * 86_400_000);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{id}"), &key).await.1["activity"]["state"],
        "lost"
    );
    app.stop().await;
}

async fn console_upload_imports(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("上传").await;
    app.staff(Some(&tenant), "owner-u", "owner", "correct-horse")
        .await;
    let http = support::console_login(&app, "owner-u", "correct-horse").await;
    let page = http
        .get(app.url("/console/imports"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("import-form") && page.contains("淘宝订单导出"));
    let csrf = support::csrf_of_header(&page);
    let file = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../siyu-import/tests/data/taobao_orders.csv"
    ))
    .unwrap();
    let upload = |dry: bool, token: String| {
        let (http, body) = (http.clone(), file.clone());
        let url = app.url(&format!(
            "/console/imports?preset=taobao-orders&name=orders.csv{}",
            if dry { "&dry_run=1" } else { "" }
        ));
        async move {
            let r = http
                .post(url)
                .header("x-csrf-token", token)
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (s, html) = upload(true, csrf.clone()).await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("试运行") && html.contains("id=\"import-count\">14<"),
        "{html}"
    );
    assert_eq!(
        app.get("/api/v1/customers", &key).await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "a dry run keeps nothing"
    );
    let (_, html) = upload(false, csrf.clone()).await;
    assert!(
        html.contains("id=\"import-count\">14<") && html.contains("<td>11</td>"),
        "{html}"
    );
    assert_eq!(
        app.get("/api/v1/customers", &key).await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        14
    );
    let (_, html) = upload(false, csrf.clone()).await;
    assert!(html.contains("无变化 14"), "{html}");
    // Without the CSRF header the upload is refused; so is a file of the wrong kind.
    let (s, _) = upload(false, "forged".into()).await;
    assert_eq!(s, 403);
    let r = http
        .post(app.url("/console/imports?preset=jd-orders&name=x.csv"))
        .header("x-csrf-token", &csrf)
        .body(file.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("line 1"));
    let audit = app.get("/api/v1/audit-log", &key).await.1.to_string();
    assert!(audit.contains("customer.import"));
    app.stop().await;
}

async fn tenants_set_their_own_placeholders(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key) = app.tenant("规则设置").await;
    let (_, p) = app.get("/api/v1/identity/policy", &key).await;
    assert_eq!(p["shared_threshold"], 3);
    let (s, e) = app
        .call(
            "PUT",
            "/api/v1/identity/policy",
            &key,
            Some(json!({"placeholders": {"phones": ["12"]}})),
        )
        .await;
    assert_eq!((s, code(&e)), (422, "validation_failed"));
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("placeholders.phones[0]"));
    // The shop's own front-desk number and a filler card number never link anything.
    let (s, p) = app
        .call(
            "PUT",
            "/api/v1/identity/policy",
            &key,
            Some(json!({"shared_threshold": 3, "placeholders": {"texts": ["VIP"], "phones": ["139 1111 2222"], "repeated_tail": 8}})),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["placeholders"]["phones"], json!(["+8613911112222"]));
    let a = ok(&app, &key, json!({"identities": [{"kind": "taobao", "value": "a1"}, {"kind": "phone", "value": "13911112222"}, {"kind": "member_card", "value": "vip"}]})).await;
    let b = ok(&app, &key, json!({"identities": [{"kind": "taobao", "value": "b1"}, {"kind": "phone", "value": "13911112222"}]})).await;
    assert_ne!(a["id"], b["id"]);
    assert_eq!(kinds(&a), ["taobao:a1"].map(String::from));
    assert!(lookup(&app, &key, "phone:+8613911112222").await.is_empty());
    // The default phone rules still apply to other tenants.
    let (_, other) = app.tenant("别家").await;
    let c = ok(
        &app,
        &other,
        json!({"identities": [{"kind": "phone", "value": "13911112222"}]}),
    )
    .await;
    assert_eq!(kinds(&c), ["phone:+8613911112222"].map(String::from));
    app.stop().await;
}
