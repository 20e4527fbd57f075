//! The REST API through the real router and a real socket, on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.

mod support;

use serde_json::{json, Value};
use siyu_store::Backend;
use support::{code, TestApp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

story!(
    health_and_metrics,
    staff_lifecycle_is_audited,
    tenant_read_and_rename,
    keys_missing_bad_revoked_expired,
    bad_input_is_refused_and_changes_nothing,
    oversized_bodies_get_413,
    slow_clients_time_out,
    another_tenants_resources_answer_404,
    audit_log_pages,
);

async fn staff_count(app: &TestApp, key: &str) -> usize {
    app.get("/api/v1/staff", key).await.1["items"]
        .as_array()
        .unwrap()
        .len()
}

async fn audit_count(app: &TestApp, key: &str) -> usize {
    app.get("/api/v1/audit-log?limit=200", key).await.1["items"]
        .as_array()
        .unwrap()
        .len()
}

async fn health_and_metrics(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let (_, key) = app.tenant("M").await;
    app.get("/api/v1/staff", &key).await;
    let text = app.metrics().await;
    for name in [
        "siyu_http_requests_total",
        "siyu_http_request_duration_seconds_bucket",
        "siyu_db_pool_connections",
        "siyu_jobs_queue_depth",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics:\n{text}");
    }
    assert!(
        text.contains("route=\"/api/v1/staff\""),
        "requests are labelled by route template"
    );
    app.stop().await;
}

async fn staff_lifecycle_is_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("小满咖啡").await;
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/staff",
            &key,
            Some(json!({"login": "Wang.Clerk", "role": "clerk", "password": "门店密码12345"})),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["login"], "wang.clerk");
    assert_eq!(body["role"], "clerk");
    let id = body["id"].as_str().unwrap().to_owned();

    let (s, list) = app.get("/api/v1/staff", &key).await;
    assert_eq!(s, 200);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(
        items[0]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| ["id", "login", "role"].contains(&k.as_str()))
            .count(),
        3
    );

    let (s, one) = app.get(&format!("/api/v1/staff/{id}"), &key).await;
    assert_eq!((s, one["disabled"].as_bool()), (200, Some(false)));
    let (s, _) = app
        .call("DELETE", &format!("/api/v1/staff/{id}"), &key, None)
        .await;
    assert_eq!(s, 204);
    let (_, one) = app.get(&format!("/api/v1/staff/{id}"), &key).await;
    assert_eq!(one["disabled"], true);
    let (s, body) = app
        .call("DELETE", &format!("/api/v1/staff/{id}"), &key, None)
        .await;
    assert_eq!((s, code(&body)), (404, "not_found"), "already disabled");

    let (_, audit) = app.get("/api/v1/audit-log", &key).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "staff.disable",
            "staff.create",
            "api_key.create",
            "tenant.create"
        ]
    );
    let first = &audit["items"][0];
    assert!(first["actor"].as_str().unwrap().starts_with("api_key:ak_"));
    assert_eq!(first["target"], id.as_str());
    assert!(
        !audit.to_string().contains("门店密码"),
        "passwords never reach the audit log"
    );
    assert!(tenant.starts_with("tn_"));
    app.stop().await;
}

async fn tenant_read_and_rename(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("Old name").await;
    let (s, t) = app.get("/api/v1/tenant", &key).await;
    assert_eq!((s, t["id"].as_str()), (200, Some(tenant.as_str())));
    let (s, t) = app
        .call(
            "PATCH",
            "/api/v1/tenant",
            &key,
            Some(json!({"name": "  山野茶铺  "})),
        )
        .await;
    assert_eq!((s, t["name"].as_str()), (200, Some("山野茶铺")));
    let (s, e) = app
        .call("PATCH", "/api/v1/tenant", &key, Some(json!({"name": ""})))
        .await;
    assert_eq!(
        (s, code(&e), e["error"]["field"].as_str()),
        (422, "validation_failed", Some("name"))
    );
    assert_eq!(app.get("/api/v1/tenant", &key).await.1["name"], "山野茶铺");
    app.stop().await;
}

async fn keys_missing_bad_revoked_expired(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key) = app.tenant("K").await;

    let r = app.http.get(app.url("/api/v1/staff")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(code(&body), "unauthorized");
    let r = app
        .http
        .get(app.url("/api/v1/staff"))
        .header("authorization", format!("Basic {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let (s, body) = app.get("/api/v1/staff", "sy_not_a_real_key").await;
    assert_eq!((s, code(&body)), (401, "unauthorized"));

    let (s, created) = app
        .call(
            "POST",
            "/api/v1/api-keys",
            &key,
            Some(json!({"label": "收银"})),
        )
        .await;
    assert_eq!(s, 201);
    let second = created["api_key"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/staff", &second).await.0, 200);
    let (_, keys) = app.get("/api/v1/api-keys", &key).await;
    assert!(
        !keys.to_string().contains(&second),
        "the secret is shown only once"
    );
    let (s, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/api-keys/{}", created["id"].as_str().unwrap()),
            &key,
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, body) = app.get("/api/v1/staff", &second).await;
    assert_eq!((s, code(&body)), (401, "unauthorized"));
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("revoked"));

    let expires = app.state.now() + 60_000;
    let (_, created) = app
        .call(
            "POST",
            "/api/v1/api-keys",
            &key,
            Some(json!({"label": "temp", "expires_at": expires})),
        )
        .await;
    let temp = created["api_key"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/staff", &temp).await.0, 200);
    app.clock.advance(60_000);
    let (s, body) = app.get("/api/v1/staff", &temp).await;
    assert_eq!(s, 401);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/api-keys",
            &key,
            Some(json!({"label": "past", "expires_at": 1})),
        )
        .await;
    assert_eq!(
        (s, body["error"]["field"].as_str()),
        (422, Some("expires_at"))
    );
    app.stop().await;
}

async fn bad_input_is_refused_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key) = app.tenant("B").await;
    app.call(
        "POST",
        "/api/v1/staff",
        &key,
        Some(json!({"login": "taken", "role": "clerk", "password": "password1"})),
    )
    .await;
    let (staff_before, audit_before) =
        (staff_count(&app, &key).await, audit_count(&app, &key).await);

    let raw = |body: &'static str, ct: &'static str| {
        app.http
            .post(app.url("/api/v1/staff"))
            .bearer_auth(&key)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let r = raw("{\"login\": ", "application/json").await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(code(&r.json::<Value>().await.unwrap()), "invalid_body");
    let r = raw(
        "{\"login\": 5, \"role\": \"clerk\", \"password\": \"password1\"}",
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(code(&body), "validation_failed");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("login"),
        "{body}"
    );
    let r = raw("login=x", "application/x-www-form-urlencoded")
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    let cases = [
        (
            json!({"login": "ok-name", "role": "boss", "password": "password1"}),
            422,
            "validation_failed",
            Some("role"),
        ),
        (
            json!({"login": "ok-name", "role": "platform_admin", "password": "password1"}),
            422,
            "validation_failed",
            Some("role"),
        ),
        (
            json!({"login": "a b", "role": "clerk", "password": "password1"}),
            422,
            "validation_failed",
            Some("login"),
        ),
        (
            json!({"login": "ok-name", "role": "clerk", "password": "short"}),
            422,
            "validation_failed",
            Some("password"),
        ),
        (
            json!({"login": "ok-name", "role": "clerk", "password": "password1", "extra": 1}),
            422,
            "validation_failed",
            Some("body"),
        ),
        (
            json!({"login": "TAKEN", "role": "clerk", "password": "password1"}),
            409,
            "login_taken",
            None,
        ),
    ];
    for (body, status, want, field) in cases {
        let (s, resp) = app
            .call("POST", "/api/v1/staff", &key, Some(body.clone()))
            .await;
        assert_eq!((s, code(&resp)), (status, want), "{body} → {resp}");
        assert_eq!(resp["error"]["field"].as_str(), field, "{body} → {resp}");
        assert!(!resp["error"]["message"].as_str().unwrap().is_empty());
    }
    let (s, resp) = app.get("/api/v1/audit-log?limit=abc", &key).await;
    assert_eq!((s, code(&resp)), (422, "validation_failed"));
    let (s, resp) = app.get("/api/v1/audit-log?limit=0", &key).await;
    assert_eq!((s, code(&resp)), (422, "validation_failed"));
    let (s, resp) = app.get("/api/v1/nowhere", &key).await;
    assert_eq!((s, code(&resp)), (404, "not_found"));

    assert_eq!(staff_count(&app, &key).await, staff_before);
    assert_eq!(audit_count(&app, &key).await, audit_before);
    app.stop().await;
}

async fn oversized_bodies_get_413(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("SIYU_BODY_LIMIT_BYTES", "4096")]).await;
    let (_, key) = app.tenant("Big").await;
    let big = json!({"login": "x".repeat(10_000), "role": "clerk", "password": "password1"});
    let (s, body) = app.call("POST", "/api/v1/staff", &key, Some(big)).await;
    assert_eq!((s, code(&body)), (413, "payload_too_large"));
    assert_eq!(staff_count(&app, &key).await, 0);
    app.stop().await;
}

async fn slow_clients_time_out(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("SIYU_REQUEST_TIMEOUT_SECS", "1")]).await;
    let (_, key) = app.tenant("Slow").await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/staff HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {key}\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n{{\"login\""
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), s.read(&mut buf))
        .await
        .expect("server answers")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("request_timeout"), "{text}");
    assert_eq!(staff_count(&app, &key).await, 0);
    app.stop().await;
}

/// Every documented operation, reached with tenant B's key on tenant A's resources, answers
/// 404 and changes nothing. Operations come from the OpenAPI document, which is generated from
/// the router itself, so a new endpoint is covered (or fails here until its resource is named).
async fn another_tenants_resources_answer_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key_a) = app.tenant("Tenant A 甲").await;
    let (_, key_b) = app.tenant("Tenant B 乙").await;
    let (_, staff_a) = app
        .call(
            "POST",
            "/api/v1/staff",
            &key_a,
            Some(json!({"login": "a-owner", "role": "owner", "password": "password1"})),
        )
        .await;
    let (_, extra_key_a) = app
        .call(
            "POST",
            "/api/v1/api-keys",
            &key_a,
            Some(json!({"label": "a-pos"})),
        )
        .await;
    let (_, account_a) = app
        .call("POST", "/api/v1/wechat/accounts", &key_a, Some(json!({"app_id": "wx00000000000000aa", "app_secret": "0123456789abcdef0123456789abcdef", "token": "tokenA", "mode": "plain"})))
        .await;
    let tenant_a = siyu_domain::TenantId::parse(
        app.get("/api/v1/tenant", &key_a).await.1["id"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    // Two profiles, then one identify that ties them together: tenant A has a merge.
    for ids in [
        json!([{"kind": "phone", "value": "13812345679"}, {"kind": "taobao", "value": "甲的买家"}]),
        json!([{"kind": "openid", "value": "o_fan_of_a"}, {"kind": "unionid", "value": "u_fan_of_a"}]),
    ] {
        let (s, _) = app
            .call(
                "POST",
                "/api/v1/customers/identify",
                &key_a,
                Some(json!({"identities": ids})),
            )
            .await;
        assert_eq!(s, 200);
    }
    let (_, merged) = app
        .call(
            "POST",
            "/api/v1/customers/identify",
            &key_a,
            Some(json!({"identities": [{"kind": "unionid", "value": "u_fan_of_a"}, {"kind": "phone", "value": "+86 138 1234 5679"}], "attributes": {"city": "合肥"}})),
        )
        .await;
    let customer_a = merged["id"].as_str().unwrap().to_owned();
    let (_, merges) = app
        .get(&format!("/api/v1/customers/{customer_a}/merges"), &key_a)
        .await;
    let merge_a = merges["items"][0]["id"].as_str().unwrap().to_owned();
    let mut tx = app.state.store.begin().await.unwrap();
    let job_a = siyu_server::jobs::enqueue(
        &mut tx,
        Some(&tenant_a),
        &siyu_server::jobs::Maintenance {},
        None,
        i64::MAX,
        1,
    )
    .await
    .unwrap()
    .unwrap()
    .to_string();
    let channel_a = siyu_store::channels::Channel {
        id: "ch_isolation0000000000".into(),
        tenant_id: tenant_a.to_string(),
        account_id: account_a["id"].as_str().unwrap().to_owned(),
        name: "A poster".into(),
        kind: "poster".into(),
        scene: "ch_isolation0000000000".into(),
        cost_fen: None,
        ticket: "t".into(),
        qr_url: "http://weixin.qq.com/q/a".into(),
        expires_at: None,
        created_at: 1,
        staff_id: None,
    };
    siyu_store::channels::insert(&mut tx, &channel_a)
        .await
        .unwrap();
    let batch_a = siyu_store::channels::Batch {
        id: "cb_isolation0000000000".into(),
        tenant_id: tenant_a.to_string(),
        name: "A桌1".into(),
        kind: "table".into(),
        count: 1,
        created_at: 1,
    };
    siyu_store::channels::insert_batch(&mut tx, &batch_a)
        .await
        .unwrap();
    siyu_store::channels::set_batch(&mut tx, &channel_a.id, &batch_a.id, 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (_, draw_a) = app
        .call(
            "POST",
            "/api/v1/draws",
            &key_a,
            Some(json!({"name": "A draw", "prizes": [{"name": "p", "odds_bp": 100, "stock": 1}]})),
        )
        .await;
    let (_, template_a) = app
        .call(
            "POST",
            "/api/v1/vouchers/templates",
            &key_a,
            Some(json!({"name": "A券", "kind": "amount_off", "amount_fen": 100, "stock": 5})),
        )
        .await;
    let (_, voucher_a) = app
        .call(
            "POST",
            "/api/v1/vouchers",
            &key_a,
            Some(json!({"template_id": template_a["id"], "customer_id": customer_a})),
        )
        .await;
    let (s, segment_a) = app
        .call(
            "POST",
            "/api/v1/segments",
            &key_a,
            Some(json!({"name": "A的分组", "query": "has(phone)"})),
        )
        .await;
    assert_eq!(s, 201, "{segment_a}");
    let (s, push_a) = app
        .call(
            "POST",
            "/api/v1/pushes",
            &key_a,
            Some(json!({"segment_id": segment_a["id"], "content": {"type": "text", "text": "甲"}, "send_at": 4_000_000_000_000i64})),
        )
        .await;
    assert_eq!(s, 201, "{push_a}");
    let resource = |path: &str| -> String {
        match path {
            p if p.starts_with("/api/v1/segments/") => segment_a["id"].as_str().unwrap().to_owned(),
            p if p.starts_with("/api/v1/pushes/") => push_a["id"].as_str().unwrap().to_owned(),
            p if p.starts_with("/api/v1/staff/") => staff_a["id"].as_str().unwrap().to_owned(),
            p if p.starts_with("/api/v1/api-keys/") => {
                extra_key_a["id"].as_str().unwrap().to_owned()
            }
            p if p.starts_with("/api/v1/wechat/accounts/") => {
                account_a["id"].as_str().unwrap().to_owned()
            }
            p if p.starts_with("/api/v1/customers/") => customer_a.clone(),
            p if p.starts_with("/api/v1/merges/") => merge_a.clone(),
            p if p.starts_with("/api/v1/jobs/") => job_a.clone(),
            p if p.starts_with("/api/v1/channels/") => channel_a.id.clone(),
            p if p.starts_with("/api/v1/channel-batches/") => batch_a.id.clone(),
            p if p.starts_with("/api/v1/draws/") => draw_a["id"].as_str().unwrap().to_owned(),
            p if p.starts_with("/api/v1/vouchers/") => {
                voucher_a["code"].as_str().unwrap().to_owned()
            }
            other => panic!("name tenant A's resource for {other} in this test"),
        }
    };
    let snapshot = || async {
        (
            app.get("/api/v1/tenant", &key_a).await.1,
            app.get("/api/v1/staff", &key_a).await.1,
            app.get("/api/v1/api-keys", &key_a).await.1,
            app.get("/api/v1/wechat/accounts", &key_a).await.1,
            app.get("/api/v1/customers", &key_a).await.1,
            app.get(&format!("/api/v1/customers/{customer_a}/merges"), &key_a)
                .await
                .1,
            app.get("/api/v1/channels", &key_a).await.1,
            app.get("/api/v1/segments", &key_a).await.1,
            app.get("/api/v1/pushes", &key_a).await.1,
            app.get(
                &format!("/api/v1/draws/{}", draw_a["id"].as_str().unwrap()),
                &key_a,
            )
            .await
            .1,
        )
    };
    // Tenant B has a membership program too, so its card calls reach the tenant check.
    for key in [&key_a, &key_b] {
        let (s, _) = app
            .call("PUT", "/api/v1/membership", key, Some(json!({"name": "卡", "basis": "points", "points_per_yuan": 1, "levels": [{"name": "会员", "min": 0}]})))
            .await;
        assert_eq!(s, 200);
    }
    let (s, _) = app
        .call(
            "POST",
            &format!("/api/v1/customers/{customer_a}/card"),
            &key_a,
            None,
        )
        .await;
    assert_eq!(s, 201);
    let before = snapshot().await;
    let a_ids = [
        staff_a["id"].as_str().unwrap(),
        extra_key_a["id"].as_str().unwrap(),
        "Tenant A 甲",
        "a-owner",
        account_a["id"].as_str().unwrap(),
        &customer_a,
        &merge_a,
        "合肥",
        &job_a,
        &channel_a.id,
        &batch_a.id,
        draw_a["id"].as_str().unwrap(),
        voucher_a["code"].as_str().unwrap(),
        segment_a["id"].as_str().unwrap(),
        push_a["id"].as_str().unwrap(),
    ];

    let doc: Value = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let body = op.get("requestBody").map(|_| json!({"name": "x", "label": "x", "login": "b-user", "role": "clerk", "password": "password1"}));
            if path.contains('{') {
                let concrete = path
                    .replace("{id}", &resource(path))
                    .replace("{merge_id}", &resource(path));
                let (s, resp) = app
                    .call(
                        &method.to_uppercase(),
                        &concrete,
                        &key_b,
                        // A valid body, so the 404 comes from the tenant check, not the parser.
                        body.map(|_| match path.as_str() {
                            p if p.ends_with("/menu") => {
                                json!({"button": [{"type": "click", "name": "菜单", "key": "K"}]})
                            }
                            p if p.ends_with("/replies") => json!({"rules": []}),
                            p if p.ends_with("/replies/try") => json!({"text": "hi"}),
                            p if p.ends_with("/entries") => json!({"customer_id": customer_a}),
                            p if p.ends_with("/redeem") => json!({"store": "B"}),
                            p if p.ends_with("/tags") => json!({"add": ["乙的标签"]}),
                            p if p.ends_with("/points") => json!({"reason": "checkin"}),
                            p if p.ends_with("/consents") => json!({"marketing": true}),
                            p if p.ends_with("/vouchers") => json!({"template_id": "vt_b"}),
                            p if p.ends_with("/settings") => json!({"keyword": "乙"}),
                            p if p.starts_with("/api/v1/segments/") => {
                                json!({"name": "乙", "query": "following()"})
                            }
                            p if p.ends_with("/preview") => json!({"openid": "o_b"}),
                            p if p.ends_with("/welcome") => {
                                json!({"welcome_text": "乙", "tags": []})
                            }
                            other => panic!("give {other} a valid sample body in this test"),
                        }),
                    )
                    .await;
                assert_eq!(
                    (s, code(&resp)),
                    (404, "not_found"),
                    "{method} {path} with another tenant's key"
                );
            } else if method == "get" {
                let (s, resp) = app.call("GET", path, &key_b, None).await;
                assert_eq!(s, 200, "{path}");
                for id in a_ids {
                    assert!(
                        !resp.to_string().contains(id),
                        "{path} leaks tenant A's {id}"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 15, "every operation was visited ({checked})");
    assert_eq!(snapshot().await, before, "tenant A is unchanged");
    app.stop().await;
}

async fn audit_log_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key) = app.tenant("P").await;
    for i in 0..4 {
        app.call(
            "POST",
            "/api/v1/api-keys",
            &key,
            Some(json!({"label": format!("k{i}")})),
        )
        .await;
    }
    let (_, p1) = app.get("/api/v1/audit-log?limit=3", &key).await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 3);
    let next = p1["next_before"].as_i64().unwrap();
    let (_, p2) = app
        .get(&format!("/api/v1/audit-log?limit=3&before={next}"), &key)
        .await;
    assert_eq!(p2["items"].as_array().unwrap().len(), 3);
    assert!(p2["next_before"].is_i64());
    let (_, p3) = app
        .get(
            &format!("/api/v1/audit-log?limit=3&before={}", p2["next_before"]),
            &key,
        )
        .await;
    assert!(p3["items"].as_array().unwrap().is_empty());
    assert!(p3["next_before"].is_null());
    app.stop().await;
}
