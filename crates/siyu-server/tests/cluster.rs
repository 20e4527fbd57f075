//! Several siyu nodes on one database behave as one service: writes, sessions and jobs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use siyu_server::jobs::{self, Job, Registry};
use siyu_store::testing::TestDb;
use siyu_store::Backend;
use support::{Start, TestApp};

/// A job that records which node ran it, so duplicates are seen, not hidden.
#[derive(Debug, Serialize, Deserialize)]
struct Probe {
    n: u32,
}

impl Job for Probe {
    const KIND: &'static str = "test.probe";
}

type Runs = Arc<Mutex<HashMap<u32, Vec<&'static str>>>>;

fn registry(runs: &Runs, node: &'static str) -> Registry {
    let mut r = Registry::standard();
    let runs = runs.clone();
    r.register::<Probe, _, _>(move |_state, job| {
        let runs = runs.clone();
        async move {
            // Long enough that both nodes are polling while jobs are in flight.
            tokio::time::sleep(Duration::from_millis(5)).await;
            runs.lock().unwrap().entry(job.n).or_default().push(node);
            Ok(())
        }
    });
    r
}

async fn enqueue(app: &TestApp, count: u32) {
    let now = app.state.now();
    let mut tx = app.state.store.begin().await.unwrap();
    for n in 0..count {
        jobs::enqueue(&mut tx, None, &Probe { n }, None, now, now)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn wait_for(runs: &Runs, count: usize) {
    for _ in 0..500 {
        if runs.lock().unwrap().len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_writes_and_sessions() {
    let db = TestDb::new(Backend::Postgres).await;
    let runs = Runs::default();
    let a = TestApp::start(Start {
        url: &db.url,
        extra: &[],
        registry: registry(&runs, "a"),
        migrate: true,
    })
    .await;
    let b = TestApp::start(Start {
        url: &db.url,
        extra: &[],
        registry: registry(&runs, "b"),
        migrate: false,
    })
    .await;
    let (_, key) = a.tenant("两个节点").await;
    let (s, created) = a
        .call(
            "POST",
            "/api/v1/staff",
            &key,
            Some(json!({"login": "node-a", "role": "owner", "password": "password1"})),
        )
        .await;
    assert_eq!(s, 201);
    let (s, list) = b.get("/api/v1/staff", &key).await;
    assert_eq!(s, 200);
    assert_eq!(list["items"][0]["id"], created["id"]);

    // A key revoked through one node stops working on the other at once.
    let (_, k2) = a
        .call(
            "POST",
            "/api/v1/api-keys",
            &key,
            Some(json!({"label": "x"})),
        )
        .await;
    assert_eq!(
        b.get("/api/v1/tenant", k2["api_key"].as_str().unwrap())
            .await
            .0,
        200
    );
    a.call(
        "DELETE",
        &format!("/api/v1/api-keys/{}", k2["id"].as_str().unwrap()),
        &key,
        None,
    )
    .await;
    assert_eq!(
        b.get("/api/v1/tenant", k2["api_key"].as_str().unwrap())
            .await
            .0,
        401
    );

    // A console session made on node A is valid on node B.
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login_page = http
        .get(a.url("/console/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let i = login_page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &login_page[i..i + login_page[i..].find('"').unwrap()];
    let r = http
        .post(a.url("/console/login"))
        .form(&[
            ("login", "node-a"),
            ("password", "password1"),
            ("csrf", csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(b.url("/console"))
        .header("cookie", format!("{}; siyu_csrf=x", cookies.join("; ")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "node B accepts node A's session");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_enqueued_through_one_node_runs_exactly_once() {
    let db = TestDb::new(Backend::Postgres).await;
    let runs = Runs::default();
    let a = TestApp::start(Start {
        url: &db.url,
        extra: &[],
        registry: registry(&runs, "a"),
        migrate: true,
    })
    .await;
    let b = TestApp::start(Start {
        url: &db.url,
        extra: &[],
        registry: registry(&runs, "b"),
        migrate: false,
    })
    .await;
    enqueue(&a, 60).await;
    wait_for(&runs, 60).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let runs = runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 60, "every job ran");
    assert!(
        runs.values().all(|nodes| nodes.len() == 1),
        "no job ran twice: {runs:?}"
    );
    let by_b = runs.values().filter(|n| n[0] == "b").count();
    assert!(
        by_b > 0 && by_b < 60,
        "both nodes took work ({by_b} of 60 on b)"
    );
    a.stop().await;
    b.stop().await;
}

async fn jobs_survive_a_restart(backend: Backend) {
    let db = TestDb::new(backend).await;
    let runs = Runs::default();
    let before = TestApp::start(Start {
        url: &db.url,
        extra: &[("SIYU_RUN_JOBS", "false")],
        registry: registry(&runs, "old"),
        migrate: true,
    })
    .await;
    enqueue(&before, 5).await;
    before.stop().await;
    assert!(runs.lock().unwrap().is_empty());

    let after = TestApp::start(Start {
        url: &db.url,
        extra: &[],
        registry: registry(&runs, "new"),
        migrate: false,
    })
    .await;
    wait_for(&runs, 5).await;
    assert_eq!(
        runs.lock().unwrap().len(),
        5,
        "queued jobs ran after the restart"
    );
    after.stop().await;
}

story!(jobs_survive_a_restart);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wechat_retry_to_the_other_node_is_processed_once() {
    let db = TestDb::new(Backend::Postgres).await;
    let runs = Runs::default();
    let a = TestApp::start(Start {
        url: &db.url,
        extra: &[],
        registry: registry(&runs, "a"),
        migrate: true,
    })
    .await;
    let b = TestApp::start(Start {
        url: &db.url,
        extra: &[],
        registry: registry(&runs, "b"),
        migrate: false,
    })
    .await;
    let (_, key) = a.tenant("两个节点").await;
    let (s, acct) = a
        .call("POST", "/api/v1/wechat/accounts", &key, Some(json!({"app_id": "wx00000000000000bb", "app_secret": "0123456789abcdef0123456789abcdef", "token": "clusterToken", "mode": "plain", "welcome_text": "欢迎"})))
        .await;
    assert_eq!(s, 201);
    let account = acct["id"].as_str().unwrap();
    let t = a.state.now() / 1000;
    for i in 0..10 {
        let xml = format!("<xml><ToUserName>gh_x</ToUserName><FromUserName>o_fan_{i}</FromUserName><CreateTime>{t}</CreateTime><MsgType>event</MsgType><Event>subscribe</Event><EventKey>qrscene_table-{i}</EventKey></xml>");
        let (ra, rb) = tokio::join!(
            support::wechat_post_plain(&a, account, "clusterToken", &xml),
            support::wechat_post_plain(&b, account, "clusterToken", &xml)
        );
        assert_eq!((ra.0, rb.0), (200, 200));
        assert_eq!(ra.1, rb.1, "both deliveries get the same reply");
        assert!(ra.1.contains("欢迎"));
    }
    assert_eq!(
        siyu_store::inbound::count_for_account(&a.state.store, account)
            .await
            .unwrap(),
        10,
        "each event recorded once"
    );
    let (_, customers) = b.get("/api/v1/customers?limit=100", &key).await;
    let items = customers["items"].as_array().unwrap();
    assert_eq!(items.len(), 10, "one profile per fan");
    assert!(items.iter().all(|c| c["following"] == true));
    a.stop().await;
    b.stop().await;
}
