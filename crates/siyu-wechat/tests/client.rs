//! The API client against the in-process fake WeChat server.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use common::{Fake, FOLLOWERS, SECRET};
use serde_json::json;
use siyu_wechat::client::{
    async_trait, AccessToken, ClientConfig, CustomMessage, MassContent, MassOptions, MediaType,
    MemoryTokenStore, Menu, MenuButton, QrCodeRequest, RetryPolicy, TemplateMessage, TokenStore,
    WechatClient,
};
use siyu_wechat::WechatError;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn token_single_flight_under_50_concurrent_callers() {
    let fake = Fake::start().await;
    let client = fake.client();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let c = client.clone();
            tokio::spawn(async move { c.user_info(&format!("o{i}"), None).await })
        })
        .collect();
    for t in tasks {
        let info = t.await.unwrap().unwrap();
        assert_eq!(info.subscribe, 1);
        assert_eq!(info.tagid_list, vec![2, 134]);
    }
    assert_eq!(fake.fetches(), 1, "exactly one stable_token fetch");
    assert_eq!(fake.state.calls_to("/cgi-bin/user/info").len(), 50);
}

#[tokio::test]
async fn refreshes_once_on_40001_and_replays() {
    let fake = Fake::start().await;
    let client = fake.client();
    client.user_info("o1", None).await.unwrap();
    fake.state.revoke_token();
    let info = client.user_info("o2", Some("en")).await.unwrap();
    assert_eq!(info.openid, "o2");
    assert_eq!(info.language.as_deref(), Some("en"));
    assert_eq!(fake.fetches(), 2);
    let tokens: Vec<String> = fake
        .state
        .calls_to("/cgi-bin/user/info")
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(tokens, ["TOKEN_1", "TOKEN_1", "TOKEN_2"]);
}

#[tokio::test]
async fn gives_up_after_one_refresh() {
    let fake = Fake::start().await;
    fake.state.reject_all_tokens.store(true, Ordering::SeqCst);
    let err = fake.client().user_info("o1", None).await.unwrap_err();
    assert_eq!(err.errcode(), Some(40001));
    assert_eq!(fake.fetches(), 2);
}

#[tokio::test]
async fn concurrent_40001_triggers_a_single_refresh() {
    let fake = Fake::start().await;
    let client = fake.client();
    client.user_info("o1", None).await.unwrap();
    fake.state.revoke_token();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.user_info("o1", None).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(fake.fetches(), 2);
}

#[tokio::test]
async fn retries_busy_with_backoff_for_idempotent_calls() {
    let fake = Fake::start().await;
    fake.state.set_busy("/cgi-bin/tags/get", 2);
    let tags = fake.client().get_tags().await.unwrap();
    assert_eq!(tags.len(), 2);
    assert_eq!(tags[1].name, "广东");
    assert_eq!(fake.state.calls_to("/cgi-bin/tags/get").len(), 3);

    fake.state.set_busy("/cgi-bin/tags/get", 10);
    let err = fake.client().get_tags().await.unwrap_err();
    assert!(matches!(err, WechatError::Api { errcode: -1, .. }));
    assert_eq!(
        fake.state.calls_to("/cgi-bin/tags/get").len(),
        3 + 4,
        "1 + max_retries(3)"
    );
}

#[tokio::test]
async fn non_idempotent_calls_are_not_retried() {
    let fake = Fake::start().await;
    fake.state.set_busy("/cgi-bin/tags/create", 1);
    let err = fake.client().create_tag("广东").await.unwrap_err();
    assert_eq!(err.errcode(), Some(-1));
    assert_eq!(fake.state.calls_to("/cgi-bin/tags/create").len(), 1);
    let tag = fake.client().create_tag("广东").await.unwrap();
    assert_eq!((tag.id, tag.name.as_str()), (134, "广东"));
}

#[tokio::test]
async fn follower_paging_iterates_all_pages() {
    let fake = Fake::start().await;
    let client = fake.client();
    let first = client.followers(None).await.unwrap();
    assert_eq!((first.total, first.openids.len()), (FOLLOWERS as u64, 10));
    assert_eq!(first.next_openid.as_deref(), Some("o09"));
    let all = client.all_followers().await.unwrap();
    let expected: Vec<String> = (0..FOLLOWERS).map(|i| format!("o{i:02}")).collect();
    assert_eq!(all, expected);
    // 1 (above) + 3 pages with data + 1 terminal page (count 0, no data, next_openid set).
    assert_eq!(fake.state.calls_to("/cgi-bin/user/get").len(), 5);
}

#[tokio::test]
async fn api_errors_become_wechat_error_api() {
    let fake = Fake::start().await;
    let err = fake.client().user_info("bad", None).await.unwrap_err();
    match err {
        WechatError::Api { errcode, errmsg } => {
            assert_eq!((errcode, errmsg.as_str()), (40003, "invalid openid"))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn wrong_secret_fails_token_fetch_without_looping() {
    let fake = Fake::start().await;
    let client =
        WechatClient::new(ClientConfig::new(common::APP_ID, "wrong").with_base_url(&fake.base_url))
            .unwrap();
    let err = client.access_token().await.unwrap_err();
    assert_eq!(err.errcode(), Some(40125));
}

#[tokio::test]
async fn messages_mass_send_and_tags() {
    let fake = Fake::start().await;
    let client = fake.client();
    client
        .send_custom_message(&CustomMessage::text("o1", "你好"))
        .await
        .unwrap();
    let body = &fake.state.calls_to("/cgi-bin/message/custom/send")[0].1;
    assert_eq!(
        body,
        &json!({"touser": "o1", "msgtype": "text", "text": {"content": "你好"}})
    );

    let msgid = client
        .send_template_message(&TemplateMessage::new("o1", "TPL").field("thing1", "巧克力"))
        .await
        .unwrap();
    assert_eq!(msgid, 200228332);

    let opts = MassOptions {
        client_msg_id: Some("job-1".into()),
        send_ignore_reprint: false,
    };
    let r = client
        .mass_send_by_tag(Some(2), &MassContent::text("hi"), &opts)
        .await
        .unwrap();
    assert_eq!(
        (r.msg_id, r.msg_data_id, r.duplicate),
        (3147494276, Some(2455891298), false)
    );
    let body = &fake.state.calls_to("/cgi-bin/message/mass/sendall")[0].1;
    assert_eq!(body["filter"], json!({"is_to_all": false, "tag_id": 2}));
    assert!(body["filter"].get("group_id").is_none());
    assert_eq!(
        (body["msgtype"].as_str(), body["clientmsgid"].as_str()),
        (Some("text"), Some("job-1"))
    );

    let ids = vec!["o1".to_owned(), "o2".to_owned()];
    let r = client
        .mass_send_by_openids(&ids, &MassContent::text("hi"), &opts)
        .await
        .unwrap();
    assert!(r.duplicate, "45065 is success with the existing msg_id");
    assert_eq!(r.msg_id, 1000001625);
    assert_eq!(
        fake.state.calls_to("/cgi-bin/message/mass/send")[0].1["touser"],
        json!(ids)
    );

    let many: Vec<String> = (0..120).map(|i| format!("o{i}")).collect();
    client.batch_tag(&many, 134).await.unwrap();
    let calls = fake.state.calls_to("/cgi-bin/tags/members/batchtagging");
    assert_eq!(calls.len(), 3, "chunks of 50");
    assert_eq!(calls[2].1["openid_list"].as_array().unwrap().len(), 20);
}

#[tokio::test]
async fn qrcode_menu_and_media() {
    let fake = Fake::start().await;
    let client = fake.client();
    let qr = client
        .create_qrcode(&QrCodeRequest::temporary_str("campaign_42", 604800))
        .await
        .unwrap();
    assert_eq!(qr.expire_seconds, Some(60));
    assert!(qr
        .show_url()
        .ends_with("?ticket=gQH47joAAAAAAAAAASxod%2B%2F%3D"));
    let body = &fake.state.calls_to("/cgi-bin/qrcode/create")[0].1;
    assert_eq!(body["action_name"], "QR_STR_SCENE");

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

    let media = client
        .upload_media(MediaType::Image, "a.jpg", "image/jpeg", vec![0xff; 1234])
        .await
        .unwrap();
    assert_eq!(
        (media.media_type.as_str(), media.media_id.as_str()),
        ("image", "MEDIA_1234")
    );
    let info = &fake.state.calls_to("/cgi-bin/media/upload")[0].1;
    assert_eq!(
        info,
        &json!({"field": "media", "filename": "a.jpg", "content_type": "image/jpeg", "len": 1234})
    );
}

#[tokio::test]
async fn clients_sharing_a_store_share_one_token() {
    let fake = Fake::start().await;
    let store = Arc::new(MemoryTokenStore::new());
    let a = WechatClient::with_store(fake.config(), store.clone()).unwrap();
    let b = WechatClient::with_store(fake.config(), store.clone()).unwrap();
    a.get_tags().await.unwrap();
    b.get_tags().await.unwrap();
    assert_eq!(fake.fetches(), 1);
    assert_eq!(
        store.load(common::APP_ID).await.unwrap().unwrap().secret(),
        "TOKEN_1"
    );
}

#[tokio::test]
async fn secrets_are_redacted_in_debug_and_errors() {
    let fake = Fake::start().await;
    let client = fake.client();
    let token = client.access_token().await.unwrap();
    assert!(!format!("{client:?} {token:?}").contains(SECRET));
    assert!(!format!("{token:?}").contains("TOKEN_1"));
    // Transport errors must not leak the URL (it carries access_token).
    let store = Arc::new(MemoryTokenStore::new());
    store
        .save(
            common::APP_ID,
            &AccessToken::new("SECRET_TOKEN_X", i64::MAX),
        )
        .await
        .unwrap();
    let dead = WechatClient::with_store(
        ClientConfig::new(common::APP_ID, SECRET)
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
    let fake = Fake::start().await;
    *fake.state.current.lock().unwrap() = "NODE_B_TOKEN".into();
    let store = Arc::new(BusyLeaseStore(MemoryTokenStore::new()));
    let client = WechatClient::with_store(fake.config(), store.clone()).unwrap();
    let other_node = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let expires = i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        )
        .unwrap()
            + 7200;
        store
            .save(common::APP_ID, &AccessToken::new("NODE_B_TOKEN", expires))
            .await
            .unwrap();
    });
    client.get_tags().await.unwrap();
    other_node.await.unwrap();
    assert_eq!(fake.fetches(), 0);
    assert_eq!(
        fake.state.calls_to("/cgi-bin/tags/get")[0].0,
        "NODE_B_TOKEN"
    );
}
