//! The OpenAPI document is snapshot-tested so every API change is visible in review.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.

mod support;

#[tokio::test]
async fn openapi_document_matches_snapshot() {
    let app = support::TestApp::spawn(siyu_store::Backend::Sqlite).await;
    let doc: serde_json::Value = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/staff",
        "/api/v1/staff/{id}",
        "/api/v1/tenant",
        "/api/v1/api-keys",
        "/api/v1/audit-log",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    insta::assert_json_snapshot!("openapi", doc);
    app.stop().await;
}
