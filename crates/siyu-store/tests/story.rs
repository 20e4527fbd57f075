//! The storage story, told once and run against SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.

use std::collections::HashSet;

use siyu_domain::{ApiKeyId, Login, Role, StaffId, TenantId, TenantName};
use siyu_store::api_keys::KeyRejection;
use siyu_store::testing::TestDb;
use siyu_store::{
    api_keys, audit, jobs, login_attempts, sessions, staff, tenants, Backend, SchemaStatus, Store,
    StoreError,
};

async fn store(backend: Backend) -> (Store, TestDb) {
    let db = TestDb::new(backend).await;
    let store = Store::connect(&db.url, 8).await.unwrap();
    store.migrate().await.unwrap();
    (store, db)
}

async fn tenant(store: &Store, name: &str) -> TenantId {
    let id = TenantId::generate();
    let mut tx = store.begin().await.unwrap();
    tenants::insert(&mut tx, &id, &TenantName::parse(name).unwrap(), 1_000)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

macro_rules! story {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(siyu_store::Backend::Sqlite).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(siyu_store::Backend::Postgres).await } )* }
    };
}

story!(
    schema_is_checked_and_migrated,
    staff_are_per_tenant_and_logins_unique,
    api_keys_hash_revoke_expire,
    uncommitted_writes_vanish,
    sessions_and_login_failures,
    audit_is_per_tenant_and_paged,
    jobs_dedupe_and_claim_exclusively,
    jobs_retry_then_fail_and_survive_lost_workers,
);

async fn schema_is_checked_and_migrated(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = Store::connect(&db.url, 2).await.unwrap();
    assert!(
        matches!(store.schema_status().await.unwrap(), SchemaStatus::Pending(v) if !v.is_empty())
    );
    let msg = store.ensure_current().await.unwrap_err().to_string();
    assert!(msg.contains("siyu migrate"), "{msg}");
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.schema_status().await.unwrap(), SchemaStatus::Current);
    store.ensure_current().await.unwrap();

    // A database touched by a newer siyu is refused, and not migrated further.
    let sql = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99991231000000, 'future', TRUE, $1, 1)";
    match &store {
        Store::Sqlite(p, _) => sqlx::query(sql)
            .bind(vec![0u8; 48])
            .execute(p)
            .await
            .map(|_| ()),
        Store::Postgres(p) => sqlx::query(sql)
            .bind(vec![0u8; 48])
            .execute(p)
            .await
            .map(|_| ()),
    }
    .unwrap();
    assert!(matches!(
        store.schema_status().await.unwrap(),
        SchemaStatus::Newer(_)
    ));
    let msg = store.ensure_current().await.unwrap_err().to_string();
    assert!(msg.contains("newer"), "{msg}");
    assert!(store.migrate().await.is_err());
}

async fn staff_are_per_tenant_and_logins_unique(backend: Backend) {
    let (store, _db) = store(backend).await;
    let a = tenant(&store, "咖啡 A").await;
    let b = tenant(&store, "Tea B").await;
    let id = StaffId::generate();
    let login = Login::parse("alice").unwrap();
    let mut tx = store.begin().await.unwrap();
    staff::insert(
        &mut tx,
        &staff::NewStaff {
            id: &id,
            tenant_id: Some(&a),
            login: &login,
            role: Role::Owner,
            password_hash: "h",
        },
        5,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(staff::list(&store, &a).await.unwrap().len(), 1);
    assert!(staff::list(&store, &b).await.unwrap().is_empty());
    assert!(matches!(
        staff::get(&store, &b, &id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(staff::get(&store, &a, &id).await.unwrap().role, Role::Owner);

    let mut tx = store.begin().await.unwrap();
    let dup = staff::insert(
        &mut tx,
        &staff::NewStaff {
            id: &StaffId::generate(),
            tenant_id: Some(&b),
            login: &login,
            role: Role::Clerk,
            password_hash: "h",
        },
        6,
    )
    .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    drop(tx);

    // Disabling through another tenant finds nothing; through the owner it works once.
    let mut tx = store.begin().await.unwrap();
    assert!(matches!(
        staff::disable(&mut tx, &b, &id, 7).await,
        Err(StoreError::NotFound)
    ));
    staff::disable(&mut tx, &a, &id, 7).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(staff::count_active(&store, &a).await.unwrap(), 0);
    assert_eq!(
        staff::credentials(&store, "alice")
            .await
            .unwrap()
            .unwrap()
            .staff
            .disabled_at,
        Some(7)
    );
}

async fn api_keys_hash_revoke_expire(backend: Backend) {
    let (store, _db) = store(backend).await;
    let a = tenant(&store, "A").await;
    let b = tenant(&store, "B").await;
    let (k1, k2) = (ApiKeyId::generate(), ApiKeyId::generate());
    let mut tx = store.begin().await.unwrap();
    api_keys::insert(&mut tx, &k1, &a, "pos", "sy_secret_one", None, 10)
        .await
        .unwrap();
    api_keys::insert(&mut tx, &k2, &a, "tmp", "sy_secret_two", Some(100), 10)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let got = api_keys::authenticate(&store, "sy_secret_one", 50)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.tenant_id, a);
    assert_eq!(
        api_keys::authenticate(&store, "nope", 50)
            .await
            .unwrap()
            .unwrap_err(),
        KeyRejection::Unknown
    );
    assert!(api_keys::authenticate(&store, "sy_secret_two", 99)
        .await
        .unwrap()
        .is_ok());
    assert_eq!(
        api_keys::authenticate(&store, "sy_secret_two", 100)
            .await
            .unwrap()
            .unwrap_err(),
        KeyRejection::Expired
    );

    let mut tx = store.begin().await.unwrap();
    assert!(matches!(
        api_keys::revoke(&mut tx, &b, &k1, 60).await,
        Err(StoreError::NotFound)
    ));
    api_keys::revoke(&mut tx, &a, &k1, 60).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        api_keys::authenticate(&store, "sy_secret_one", 61)
            .await
            .unwrap()
            .unwrap_err(),
        KeyRejection::Revoked
    );
    assert_eq!(api_keys::count_active(&store, &a, 61).await.unwrap(), 1);

    // Only the hash is stored.
    let stored: Vec<String> = match &store {
        Store::Sqlite(p, _) => sqlx::query_scalar("SELECT key_hash FROM api_keys")
            .fetch_all(p)
            .await
            .unwrap(),
        Store::Postgres(p) => sqlx::query_scalar("SELECT key_hash FROM api_keys")
            .fetch_all(p)
            .await
            .unwrap(),
    };
    assert!(stored
        .iter()
        .all(|h| h.len() == 64 && !h.contains("secret")));
}

async fn uncommitted_writes_vanish(backend: Backend) {
    let (store, _db) = store(backend).await;
    let id = TenantId::generate();
    {
        let mut tx = store.begin().await.unwrap();
        tenants::insert(&mut tx, &id, &TenantName::parse("gone").unwrap(), 1)
            .await
            .unwrap();
    }
    assert!(matches!(
        tenants::get(&store, &id).await,
        Err(StoreError::NotFound)
    ));
}

async fn sessions_and_login_failures(backend: Backend) {
    let (store, _db) = store(backend).await;
    let a = tenant(&store, "A").await;
    let id = StaffId::generate();
    let mut tx = store.begin().await.unwrap();
    staff::insert(
        &mut tx,
        &staff::NewStaff {
            id: &id,
            tenant_id: Some(&a),
            login: &Login::parse("bob").unwrap(),
            role: Role::Clerk,
            password_hash: "h",
        },
        1,
    )
    .await
    .unwrap();
    sessions::insert(&mut tx, "tok", &id, 10, 100)
        .await
        .unwrap();
    login_attempts::record_failure(&mut tx, "bob", "1.2.3.4", 10)
        .await
        .unwrap();
    login_attempts::record_failure(&mut tx, "bob", "5.6.7.8", 20)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(
        sessions::lookup(&store, "tok", 50).await.unwrap(),
        Some(id.clone())
    );
    assert_eq!(
        sessions::lookup(&store, "tok", 100).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(sessions::lookup(&store, "other", 50).await.unwrap(), None);
    assert_eq!(
        login_attempts::recent_failures(&store, "bob", "1.2.3.4", 0)
            .await
            .unwrap(),
        (2, 1)
    );
    assert_eq!(
        login_attempts::recent_failures(&store, "bob", "1.2.3.4", 15)
            .await
            .unwrap(),
        (1, 0)
    );

    let mut tx = store.begin().await.unwrap();
    assert_eq!(sessions::purge_expired(&mut tx, 100).await.unwrap(), 1);
    login_attempts::clear(&mut tx, "bob").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        login_attempts::recent_failures(&store, "bob", "x", 0)
            .await
            .unwrap(),
        (0, 0)
    );
}

async fn audit_is_per_tenant_and_paged(backend: Backend) {
    let (store, _db) = store(backend).await;
    let a = tenant(&store, "A").await;
    let b = tenant(&store, "B").await;
    let mut tx = store.begin().await.unwrap();
    for i in 0..5 {
        let target = format!("t{i}");
        audit::record(
            &mut tx,
            audit::NewEntry {
                tenant_id: Some(&a),
                actor: "cli",
                action: "x.do",
                target: Some(&target),
                detail: Some(serde_json::json!({"i": i})),
            },
            100 + i,
        )
        .await
        .unwrap();
    }
    audit::record(
        &mut tx,
        audit::NewEntry {
            tenant_id: Some(&b),
            actor: "cli",
            action: "y",
            target: None,
            detail: None,
        },
        100,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let page1 = audit::list(&store, &a, None, 3).await.unwrap();
    assert_eq!(
        page1
            .iter()
            .map(|e| e.target.clone().unwrap())
            .collect::<Vec<_>>(),
        ["t4", "t3", "t2"]
    );
    let page2 = audit::list(&store, &a, Some(page1[2].id), 3).await.unwrap();
    assert_eq!(page2.len(), 2);
    assert_eq!(audit::list(&store, &b, None, 10).await.unwrap().len(), 1);
    assert_eq!(audit::count_since(&store, &a, 103).await.unwrap(), 2);
}

async fn jobs_dedupe_and_claim_exclusively(backend: Backend) {
    let (store, _db) = store(backend).await;
    let mut tx = store.begin().await.unwrap();
    for i in 0..40 {
        let key = format!("k{i}");
        let job = jobs::NewJob {
            tenant_id: None,
            kind: "test.job",
            payload: serde_json::json!({"i": i}),
            dedupe_key: Some(&key),
            run_at: 0,
            max_attempts: 3,
        };
        assert!(jobs::enqueue(&mut tx, job, 0).await.unwrap().is_some());
    }
    let again = jobs::NewJob {
        tenant_id: None,
        kind: "test.job",
        payload: serde_json::json!({}),
        dedupe_key: Some("k0"),
        run_at: 0,
        max_attempts: 3,
    };
    assert!(
        jobs::enqueue(&mut tx, again, 0).await.unwrap().is_none(),
        "dedupe key reused"
    );
    let later = jobs::NewJob {
        tenant_id: None,
        kind: "test.job",
        payload: serde_json::json!({}),
        dedupe_key: None,
        run_at: 1_000_000,
        max_attempts: 3,
    };
    jobs::enqueue(&mut tx, later, 0).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(jobs::queue_depth(&store).await.unwrap(), 41);

    // Eight workers claim concurrently; every due job goes to exactly one of them.
    let mut handles = Vec::new();
    for w in 0..8 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = jobs::claim(&store, &format!("w{w}"), 10, 60_000, 3)
                    .await
                    .unwrap();
                if got.is_empty() {
                    break;
                }
                mine.extend(got.into_iter().map(|j| j.id));
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 40, "each due job claimed once");
    assert_eq!(unique.len(), 40);
}

async fn jobs_retry_then_fail_and_survive_lost_workers(backend: Backend) {
    let (store, _db) = store(backend).await;
    let mut tx = store.begin().await.unwrap();
    let job = jobs::NewJob {
        tenant_id: None,
        kind: "test.flaky",
        payload: serde_json::json!({}),
        dedupe_key: None,
        run_at: 0,
        max_attempts: 2,
    };
    let id = jobs::enqueue(&mut tx, job, 0).await.unwrap().unwrap();
    tx.commit().await.unwrap();

    let c = jobs::claim(&store, "w1", 10, 1_000, 10).await.unwrap();
    assert_eq!(c.len(), 1);
    assert!(
        jobs::claim(&store, "w2", 500, 1_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    // w1 dies; after the lease w2 takes the job over, and w1 can no longer complete it.
    let c = jobs::claim(&store, "w2", 1_011, 1_000, 10).await.unwrap();
    assert_eq!(c[0].attempts, 2);
    assert!(!jobs::complete(&store, id.as_str(), "w1", 1_100)
        .await
        .unwrap());
    jobs::fail(&store, id.as_str(), "w2", "boom", 1_200, 1_300)
        .await
        .unwrap();
    let s = jobs::status(&store, id.as_str()).await.unwrap();
    assert_eq!(
        (s.state.as_str(), s.last_error.as_deref()),
        ("failed", Some("boom")),
        "attempts exhausted"
    );

    let mut tx = store.begin().await.unwrap();
    let job = jobs::NewJob {
        tenant_id: None,
        kind: "test.ok",
        payload: serde_json::json!({}),
        dedupe_key: None,
        run_at: 0,
        max_attempts: 5,
    };
    let id = jobs::enqueue(&mut tx, job, 0).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    jobs::claim(&store, "w3", 10, 1_000, 10).await.unwrap();
    jobs::fail(&store, id.as_str(), "w3", "transient", 20, 30)
        .await
        .unwrap();
    assert_eq!(
        jobs::status(&store, id.as_str()).await.unwrap().state,
        "queued"
    );
    assert!(
        jobs::claim(&store, "w3", 25, 1_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "backoff respected"
    );
    jobs::claim(&store, "w3", 31, 1_000, 10).await.unwrap();
    assert!(jobs::complete(&store, id.as_str(), "w3", 40).await.unwrap());
    assert_eq!(
        jobs::status(&store, id.as_str()).await.unwrap().state,
        "done"
    );
    assert_eq!(jobs::queue_depth(&store).await.unwrap(), 0);
}
