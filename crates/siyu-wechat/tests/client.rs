//! The API client against `siyu-fake-wechat`.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{client, config, start, tokens_used, APP_ID, SECRET};
use serde_json::json;
use siyu_fake_wechat::FakeConfig;
use siyu_wechat::client::{
    async_trait, AccessToken, ClientConfig, CustomMessage, MassContent, MassOptions, MediaType,
    MemoryTokenStore, Menu, MenuButton, QrCodeRequest, RetryPolicy, TemplateMessage, TokenStore,
    WechatClient,
};
use siyu_wechat::WechatError;

#[tokio::test]
async fn refreshes_once_on_40001_and_replays() {
    let fake = start(FakeConfig::new().with_followers(2)).await;
    let ids = fake.follower_openids();
    let client = client(&fake);
    client.user_info(&ids[0], None).await.unwrap();
    fake.revoke_tokens();
    let info = client.user_info(&ids[1], Some("en")).await.unwrap();
    assert_eq!(info.openid, ids[1]);
    assert_eq!(fake.token_fetches(), 2);
    let issued = fake.tokens_issued();
    assert_eq!(
        tokens_used(&fake, "/cgi-bin/user/info"),
        [issued[0].clone(), issued[0].clone(), issued[1].clone()]
    );
}

#[tokio::test]
async fn gives_up_after_one_refresh() {
    let fake = start(FakeConfig::new()).await;
    fake.fail_next("/cgi-bin/user/info", 40001, 5);
    let err = client(&fake).user_info("o1", None).await.unwrap_err();
    assert_eq!(err.errcode(), Some(40001));
    assert_eq!(fake.token_fetches(), 2);
    assert_eq!(fake.calls("/cgi-bin/user/info"), 2);
}

#[tokio::test]
async fn concurrent_40001_triggers_a_single_refresh() {
    let fake = start(FakeConfig::new()).await;
    let client = client(&fake);
    client.user_info("o1", None).await.unwrap();
    fake.revoke_tokens();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.user_info("o1", None).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(fake.token_fetches(), 2);
}

#[tokio::test]
async fn retries_busy_with_backoff_for_idempotent_calls() {
    let fake = start(FakeConfig::new()).await;
    fake.fail_next("/cgi-bin/tags/get", -1, 2);
    let tags = fake_client_tags(&fake).await.unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!((tags[0].id, tags[0].name.as_str()), (2, "星标组"));
    assert_eq!(fake.calls("/cgi-bin/tags/get"), 3);

    fake.fail_next("/cgi-bin/tags/get", -1, 10);
    let err = fake_client_tags(&fake).await.unwrap_err();
    assert!(matches!(err, WechatError::Api { errcode: -1, .. }));
    assert_eq!(fake.calls("/cgi-bin/tags/get"), 3 + 4, "1 + max_retries(3)");
}

async fn fake_client_tags(
    fake: &siyu_fake_wechat::FakeWechat,
) -> siyu_wechat::Result<Vec<siyu_wechat::client::Tag>> {
    client(fake).get_tags().await
}

#[tokio::test]
async fn non_idempotent_calls_are_not_retried() {
    let fake = start(FakeConfig::new()).await;
    fake.fail_next("/cgi-bin/tags/create", -1, 1);
    let err = client(&fake).create_tag("广东").await.unwrap_err();
    assert_eq!(err.errcode(), Some(-1));
    assert_eq!(fake.calls("/cgi-bin/tags/create"), 1);
    let tag = client(&fake).create_tag("广东").await.unwrap();
    assert_eq!((tag.id, tag.name.as_str()), (100, "广东"));
}

#[tokio::test]
async fn follower_paging_iterates_all_pages() {
    let fake = start(FakeConfig::new().with_followers(25).with_page_size(10)).await;
    let ids = fake.follower_openids();
    let client = client(&fake);
    let first = client.followers(None).await.unwrap();
    assert_eq!((first.total, first.openids.len()), (25, 10));
    assert_eq!(first.next_openid.as_deref(), Some(ids[9].as_str()));
    assert_eq!(client.all_followers().await.unwrap(), ids);
    // 1 (above) + 3 pages with data + 1 terminal page (count 0, no data, next_openid set).
    assert_eq!(fake.calls("/cgi-bin/user/get"), 5);
}

#[tokio::test]
async fn api_errors_become_wechat_error_api() {
    let fake = start(FakeConfig::new().with_followers(1)).await;
    let err = client(&fake).user_info("bad", None).await.unwrap_err();
    match err {
        WechatError::Api { errcode, errmsg } => {
            assert_eq!((errcode, errmsg.as_str()), (40003, "invalid openid"))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn wrong_secret_fails_token_fetch_without_looping() {
    let fake = start(FakeConfig::new()).await;
    let client =
        WechatClient::new(ClientConfig::new(APP_ID, "wrong").with_base_url(fake.base_url()))
            .unwrap();
    let err = client.access_token().await.unwrap_err();
    assert_eq!(err.errcode(), Some(40125));
    assert_eq!(fake.token_fetches(), 1);
}

#[tokio::test]
async fn messages_mass_send_and_tags() {
    let fake = start(FakeConfig::new()).await;
    let client = client(&fake);
    let window_closed = client
        .send_custom_message(&CustomMessage::text("o1", "你好"))
        .await
        .unwrap_err();
    assert_eq!(window_closed.errcode(), Some(45015));
    fake.touch("o1", fake.now_unix());
    client
        .send_custom_message(&CustomMessage::text("o1", "你好"))
        .await
        .unwrap();
    assert_eq!(
        fake.custom_messages(),
        [json!({"touser": "o1", "msgtype": "text", "text": {"content": "你好"}})]
    );

    let msgid = client
        .send_template_message(&TemplateMessage::new("o1", "TPL").field("thing1", "巧克力"))
        .await
        .unwrap();
    assert_eq!(msgid, fake.template_messages()[0].msgid);

    let opts = |id: &str| MassOptions {
        client_msg_id: Some(id.into()),
        send_ignore_reprint: false,
    };
    let r = client
        .mass_send_by_tag(Some(2), &MassContent::text("hi"), &opts("job-1"))
        .await
        .unwrap();
    let sent = fake.mass_messages();
    assert_eq!(
        (r.msg_id, r.msg_data_id, r.duplicate),
        (sent[0].msg_id, Some(sent[0].msg_data_id), false)
    );
    let body = &sent[0].body;
    assert_eq!(body["filter"], json!({"is_to_all": false, "tag_id": 2}));
    assert!(body["filter"].get("group_id").is_none());
    assert_eq!(
        (body["msgtype"].as_str(), body["clientmsgid"].as_str()),
        (Some("text"), Some("job-1"))
    );

    let ids = vec!["o1".to_owned(), "o2".to_owned()];
    let r2 = client
        .mass_send_by_openids(&ids, &MassContent::text("hi"), &opts("job-2"))
        .await
        .unwrap();
    assert!(!r2.duplicate);
    assert_eq!(fake.mass_messages()[1].body["touser"], json!(ids));
    let again = client
        .mass_send_by_openids(&ids, &MassContent::text("hi"), &opts("job-1"))
        .await
        .unwrap();
    assert!(again.duplicate, "45065 is success with the existing msg_id");
    assert_eq!(again.msg_id, r.msg_id);

    let tag = client.create_tag("VIP").await.unwrap();
    let many: Vec<String> = (0..120).map(|i| format!("o{i}")).collect();
    client.batch_tag(&many, tag.id).await.unwrap();
    assert_eq!(
        fake.calls("/cgi-bin/tags/members/batchtagging"),
        3,
        "chunks of 50"
    );
    assert_eq!(fake.tags()[1].members, many);
    assert_eq!(client.user_tags("o7").await.unwrap(), [tag.id]);
    let page = client.tag_members(tag.id, None).await.unwrap();
    assert_eq!(page.openids, many);
}

#[tokio::test]
async fn qrcode_menu_and_media() {
    let fake = start(FakeConfig::new()).await;
    let client = client(&fake);
    let qr = client
        .create_qrcode(&QrCodeRequest::temporary_str("campaign_42", 604800))
        .await
        .unwrap();
    assert_eq!(qr.expire_seconds, Some(604800));
    let rec = &fake.qrcodes()[0];
    assert_eq!(
        (rec.action_name.as_str(), &rec.ticket, &rec.url),
        ("QR_STR_SCENE", &qr.ticket, &qr.url)
    );
    assert_eq!(rec.scene_str.as_deref(), Some("campaign_42"));
    assert!(qr.url.starts_with("http://weixin.qq.com/q/02"));
    let encoded = qr
        .ticket
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    assert!(qr.show_url().ends_with(&format!("?ticket={encoded}")));
    let permanent = QrCodeRequest::permanent_str("shop");
    let p1 = client.create_qrcode(&permanent).await.unwrap();
    assert_eq!(client.create_qrcode(&permanent).await.unwrap(), p1);
    assert_eq!(p1.expire_seconds, None);

    assert_eq!(client.get_menu().await.unwrap(), None);
    let menu = Menu {
        button: vec![
            MenuButton::click("今日歌曲", "V1001"),
            MenuButton::group(
                "菜单",
                vec![MenuButton::view("搜索", "http://www.soso.com/")],
            ),
        ],
    };
    client.create_menu(&menu).await.unwrap();
    assert_eq!(client.get_menu().await.unwrap().unwrap().menu, menu);
    client.delete_menu().await.unwrap();
    assert_eq!(client.get_menu().await.unwrap(), None);
    let too_many = Menu {
        button: vec![MenuButton::click("a", "b"); 4],
    };
    assert!(matches!(
        client.create_menu(&too_many).await,
        Err(WechatError::InvalidRequest(_))
    ));
    // The fake enforces the same limits server-side.
    let raw = client
        .post_json(
            "/cgi-bin/menu/create",
            &serde_json::to_value(&too_many).unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(raw.errcode(), Some(40016));

    let media = client
        .upload_media(MediaType::Image, "a.jpg", "image/jpeg", vec![0xff; 1234])
        .await
        .unwrap();
    let rec = &fake.media()[0];
    assert_eq!(
        (media.media_type.as_str(), &media.media_id, media.created_at),
        ("image", &rec.media_id, rec.created_at)
    );
    assert_eq!(
        (
            rec.field.as_str(),
            rec.filename.as_deref(),
            rec.content_type.as_deref(),
            rec.len
        ),
        ("media", Some("a.jpg"), Some("image/jpeg"), 1234)
    );
    let thumb = client
        .upload_media(MediaType::Thumb, "t.jpg", "image/jpeg", vec![1; 10])
        .await
        .unwrap();
    assert_eq!(
        thumb.media_id,
        fake.media()[1].media_id,
        "thumb_media_id alias"
    );
}

#[tokio::test]
async fn clients_sharing_a_store_share_one_token() {
    let fake = start(FakeConfig::new()).await;
    let store = Arc::new(MemoryTokenStore::new());
    let a = WechatClient::with_store(config(&fake), store.clone()).unwrap();
    let b = WechatClient::with_store(config(&fake), store.clone()).unwrap();
    a.get_tags().await.unwrap();
    b.get_tags().await.unwrap();
    assert_eq!(fake.token_fetches(), 1);
    assert_eq!(
        store.load(APP_ID).await.unwrap().unwrap().secret(),
        fake.tokens_issued()[0]
    );
}

#[tokio::test]
async fn secrets_are_redacted_in_debug_and_errors() {
    let fake = start(FakeConfig::new()).await;
    let client = client(&fake);
    let token = client.access_token().await.unwrap();
    assert!(!format!("{client:?} {token:?}").contains(SECRET));
    assert!(!format!("{token:?}").contains(token.secret()));
    // Transport errors must not leak the URL (it carries access_token).
    let store = Arc::new(MemoryTokenStore::new());
    store
        .save(APP_ID, &AccessToken::new("SECRET_TOKEN_X", i64::MAX))
        .await
        .unwrap();
    let dead = WechatClient::with_store(
        ClientConfig::new(APP_ID, SECRET)
            .with_base_url("http://127.0.0.1:9")
            .with_retry(RetryPolicy {
                max_retries: 0,
                ..RetryPolicy::default()
            }),
        store,
    )
    .unwrap();
    let err = dead.get_tags().await.unwrap_err();
    assert!(matches!(err, WechatError::Http(_)));
    assert!(
        !format!("{err} {err:?}").contains("SECRET_TOKEN_X"),
        "{err:?}"
    );
}

/// A store whose refresh lease is always held by "another node".
struct BusyLeaseStore(MemoryTokenStore);

#[async_trait]
impl TokenStore for BusyLeaseStore {
    async fn load(&self, app_id: &str) -> siyu_wechat::Result<Option<AccessToken>> {
        self.0.load(app_id).await
    }
    async fn save(&self, app_id: &str, token: &AccessToken) -> siyu_wechat::Result<()> {
        self.0.save(app_id, token).await
    }
    async fn invalidate(&self, app_id: &str, stale: &str) -> siyu_wechat::Result<()> {
        self.0.invalidate(app_id, stale).await
    }
    async fn try_acquire_lease(&self, _: &str, _: &str, _: Duration) -> siyu_wechat::Result<bool> {
        Ok(false)
    }
}

#[tokio::test]
async fn waits_for_the_lease_holder_instead_of_fetching() {
    let fake = start(FakeConfig::new()).await;
    // "Node B" fetches the token with its own client and store.
    let node_b_token = client(&fake).access_token().await.unwrap();
    assert_eq!(fake.token_fetches(), 1);
    let store = Arc::new(BusyLeaseStore(MemoryTokenStore::new()));
    let client = WechatClient::with_store(config(&fake), store.clone()).unwrap();
    let shared = node_b_token.clone();
    let other_node = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        store.save(APP_ID, &shared).await.unwrap();
    });
    client.get_tags().await.unwrap();
    other_node.await.unwrap();
    assert_eq!(fake.token_fetches(), 1, "this node did not fetch");
    assert_eq!(
        tokens_used(&fake, "/cgi-bin/tags/get"),
        [node_b_token.secret()]
    );
}
