//! The WeChat callback endpoint and Official Account API, with requests signed and encrypted
//! as WeChat sends them. (The independent check, wechatpy playing WeChat, runs in CI.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.

mod support;

use serde_json::{json, Value};
use siyu_store::Backend;
use siyu_wechat::signature::{msg_signature, url_signature};
use siyu_wechat::WechatCrypto;
use support::{code, TestApp};

const APP_ID: &str = "wx1234567890abcdef";
const TOKEN: &str = "siyuToken2026";
const AES_KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
const FAN: &str = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M";

struct Fixture {
    app: TestApp,
    key: String,
    account: String,
}

async fn fixture(backend: Backend, mode: &str) -> Fixture {
    let app = TestApp::spawn(backend).await;
    let (_, key) = app.tenant("小满咖啡").await;
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/wechat/accounts",
            &key,
            Some(json!({
                "app_id": APP_ID, "app_secret": "0123456789abcdef0123456789abcdef", "token": TOKEN,
                "encoding_aes_key": AES_KEY, "mode": mode, "welcome_text": "欢迎关注小满咖啡 ☕"
            })),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let account = body["id"].as_str().unwrap().to_owned();
    assert_eq!(body["callback_path"], format!("/wechat/{account}"));
    Fixture { app, key, account }
}

fn event_xml(event: &str, key: &str, create_time: i64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_123456789abc]]></ToUserName><FromUserName><![CDATA[{FAN}]]></FromUserName><CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>"
    )
}

fn text_xml(content: &str, msg_id: u64, create_time: i64) -> String {
    // As WeChat does: a `]]>` inside text is split across two CDATA sections.
    let content = content.replace("]]>", "]]]]><![CDATA[>");
    format!(
        "<xml><ToUserName><![CDATA[gh_123456789abc]]></ToUserName><FromUserName><![CDATA[{FAN}]]></FromUserName><CreateTime>{create_time}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
}

impl Fixture {
    fn now(&self) -> i64 {
        self.app.state.now() / 1000
    }

    /// POSTs `xml` encrypted and signed as WeChat does in safe mode; returns status and body.
    async fn post_safe(&self, xml: &str, app_id: &str) -> (u16, String) {
        let crypto = WechatCrypto::new(TOKEN, AES_KEY, app_id).unwrap();
        let encrypt = crypto.encrypt(xml).unwrap();
        let ts = self.now().to_string();
        let nonce = "1320562132";
        let body = format!("<xml><ToUserName><![CDATA[gh_123456789abc]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>");
        let url = format!(
            "/wechat/{}?signature={}&timestamp={ts}&nonce={nonce}&openid={FAN}&encrypt_type=aes&msg_signature={}",
            self.account,
            url_signature(TOKEN, &ts, nonce),
            msg_signature(TOKEN, &ts, nonce, &encrypt)
        );
        self.raw(&url, body).await
    }

    async fn post_plain(&self, xml: &str, ts: i64, signature: Option<&str>) -> (u16, String) {
        let ts = ts.to_string();
        let sig = signature
            .map(str::to_owned)
            .unwrap_or_else(|| url_signature(TOKEN, &ts, "42"));
        let url = format!(
            "/wechat/{}?signature={sig}&timestamp={ts}&nonce=42&openid={FAN}",
            self.account
        );
        self.raw(&url, xml.to_owned()).await
    }

    async fn raw(&self, url: &str, body: String) -> (u16, String) {
        let r = self
            .app
            .http
            .post(self.app.url(url))
            .header("content-type", "text/xml")
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    fn decrypt_reply(&self, body: &str) -> String {
        let start = body.find("<Encrypt><![CDATA[").expect("encrypted reply") + 18;
        let end = start + body[start..].find("]]>").unwrap();
        WechatCrypto::new(TOKEN, AES_KEY, APP_ID)
            .unwrap()
            .decrypt(&body[start..end])
            .unwrap()
    }

    async fn customer(&self) -> Value {
        let (s, list) = self
            .app
            .get(
                &format!("/api/v1/customers?identity=openid:{FAN}"),
                &self.key,
            )
            .await;
        assert_eq!(s, 200);
        list["items"][0].clone()
    }

    async fn inbound_count(&self) -> i64 {
        siyu_store::inbound::count_for_account(&self.app.state.store, &self.account)
            .await
            .unwrap()
    }
}

story!(
    accounts_are_validated_and_secrets_sealed,
    url_verification_echoes_only_signed_requests,
    follow_lands_on_the_profile_with_an_encrypted_welcome,
    a_changed_welcome_reaches_the_next_follow,
    retries_are_answered_once,
    hostile_callbacks_are_refused_and_counted,
    plain_requests_to_a_safe_account_are_refused,
    keyword_rules_and_the_faq_answer_fans,
);

async fn keyword_rules_and_the_faq_answer_fans(backend: Backend) {
    let f = fixture(backend, "safe").await;
    let path = format!("/api/v1/wechat/accounts/{}/replies", f.account);
    let bad = json!({"rules": [{"id": "r1", "matcher": {"type": "regex", "value": "(unclosed"}, "reply": {"type": "text", "value": "x"}}]});
    let (s, e) = f.app.call("PUT", &path, &f.key, Some(bad)).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("rules")),
        "{e}"
    );
    assert!(
        e["error"]["message"].as_str().unwrap().contains("r1"),
        "names the rule: {e}"
    );

    let config = json!({
        "rules": [
            {"id": "hours", "priority": 10, "matcher": {"type": "contains", "value": ["营业时间", "几点开门"]}, "reply": {"type": "text", "value": "每天 8:00–22:00 营业"}},
            {"id": "menu-today", "matcher": {"type": "exact", "value": "TODAY"}, "reply": {"type": "news", "value": {"title": "今日推荐", "description": "桂花拿铁", "url": "https://example.com/today", "pic_url": "https://example.com/p.jpg"}}}
        ],
        "knowledge_base": [
            {"id": "refund", "questions": ["怎么退货", "如何申请退款", "退货流程是什么"], "answer": {"type": "text", "value": "在订单页点「申请售后」，7 天无理由退货"}},
            {"id": "invoice", "questions": ["怎么开发票", "可以开增值税发票吗"], "answer": {"type": "text", "value": "在订单详情里申请电子发票"}}
        ],
        "fallback": {"type": "text", "value": "客服稍后回复您"}
    });
    let (s, saved) = f.app.call("PUT", &path, &f.key, Some(config.clone())).await;
    assert_eq!(s, 200, "{saved}");
    assert_eq!(f.app.get(&path, &f.key).await.1["rules"][0]["id"], "hours");

    let t = f.now();
    let ask = |text: &'static str, id: u64| {
        let f = &f;
        async move {
            let (s, body) = f.post_safe(&text_xml(text, id, t), APP_ID).await;
            assert_eq!(s, 200);
            f.decrypt_reply(&body)
        }
    };
    assert!(ask("请问营业时间？", 1)
        .await
        .contains("每天 8:00–22:00 营业"));
    assert!(ask("我想退货怎么弄", 2).await.contains("7 天无理由退货"));
    assert!(ask("你们老板叫什么名字", 3)
        .await
        .contains("客服稍后回复您"));
    let click = event_xml("CLICK", "TODAY", t + 1);
    let (_, body) = f.post_safe(&click, APP_ID).await;
    let news = f.decrypt_reply(&body);
    assert!(
        news.contains("<MsgType><![CDATA[news]]></MsgType>") && news.contains("今日推荐"),
        "{news}"
    );

    let (s, tried) = f
        .app
        .call(
            "POST",
            &format!("{path}/try"),
            &f.key,
            Some(json!({"text": "可以开发票吗"})),
        )
        .await;
    assert_eq!(
        (s, tried["source"].as_str(), tried["matched"].as_str()),
        (200, Some("knowledge"), Some("invoice")),
        "{tried}"
    );

    // A change is used by the very next callback.
    let mut changed = config.clone();
    changed["rules"][0]["reply"]["value"] = json!("节假日 10:00 开门");
    assert_eq!(f.app.call("PUT", &path, &f.key, Some(changed)).await.0, 200);
    assert!(ask("营业时间", 4).await.contains("节假日 10:00 开门"));
    f.app.stop().await;
}

async fn accounts_are_validated_and_secrets_sealed(backend: Backend) {
    let f = fixture(backend, "safe").await;
    let good = json!({"app_id": "wxaaaaaaaaaaaaaaaa", "app_secret": "0123456789abcdef0123456789abcdef", "token": "tok123", "encoding_aes_key": AES_KEY, "mode": "safe"});
    let cases = [
        ("app_id", json!("wx123")),
        ("token", json!("a b")),
        ("mode", json!("secret")),
        ("encoding_aes_key", json!("short")),
        ("encoding_aes_key", Value::Null),
        ("app_secret", json!("x")),
    ];
    for (field, value) in cases {
        let mut body = good.clone();
        body[field] = value;
        let (s, resp) = f
            .app
            .call("POST", "/api/v1/wechat/accounts", &f.key, Some(body))
            .await;
        assert_eq!(
            (s, resp["error"]["field"].as_str()),
            (422, Some(field)),
            "{resp}"
        );
    }
    let mut dup = good.clone();
    dup["app_id"] = json!(APP_ID);
    let (s, resp) = f
        .app
        .call("POST", "/api/v1/wechat/accounts", &f.key, Some(dup))
        .await;
    assert_eq!((s, code(&resp)), (409, "app_id_taken"));

    let (_, list) = f.app.get("/api/v1/wechat/accounts", &f.key).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let text = list.to_string();
    assert!(
        !text.contains(TOKEN) && !text.contains(AES_KEY) && !text.contains("0123456789abcdef0123"),
        "no secrets in the API"
    );
    let a = siyu_store::wechat_accounts::get_for_callback(&f.app.state.store, &f.account)
        .await
        .unwrap();
    assert!(
        !a.token_sealed.contains(TOKEN) && a.aes_key_sealed.as_deref() != Some(AES_KEY),
        "sealed at rest"
    );
    assert_eq!(f.app.state.keys.open(&a.token_sealed).unwrap(), TOKEN);
    f.app.stop().await;
}

async fn url_verification_echoes_only_signed_requests(backend: Backend) {
    let f = fixture(backend, "safe").await;
    let ts = f.now().to_string();
    let sig = url_signature(TOKEN, &ts, "777");
    let ok = f
        .app
        .http
        .get(f.app.url(&format!(
            "/wechat/{}?signature={sig}&timestamp={ts}&nonce=777&echostr=4375120948345356249",
            f.account
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "4375120948345356249");
    let bad = f
        .app
        .http
        .get(f.app.url(&format!(
            "/wechat/{}?signature=deadbeef&timestamp={ts}&nonce=777&echostr=123",
            f.account
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    assert!(
        !bad.text().await.unwrap().contains("123\""),
        "never echoes unsigned"
    );
    let missing = f
        .app
        .http
        .get(
            f.app
                .url("/wechat/wa_nope?signature=x&timestamp=1&nonce=1&echostr=1"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    f.app.stop().await;
}

async fn follow_lands_on_the_profile_with_an_encrypted_welcome(backend: Backend) {
    let f = fixture(backend, "safe").await;
    let t = f.now();
    let (s, body) = f
        .post_safe(&event_xml("subscribe", "qrscene_poster-2", t), APP_ID)
        .await;
    assert_eq!(s, 200, "{body}");
    let reply = f.decrypt_reply(&body);
    assert!(
        reply.contains("欢迎关注小满咖啡 ☕")
            && reply.contains(&format!("<ToUserName><![CDATA[{FAN}]]>")),
        "{reply}"
    );

    let c = f.customer().await;
    assert_eq!(c["following"], true);
    assert_eq!(c["first_scene"], "poster-2");
    assert_eq!(
        (
            &c["identities"][0]["kind"],
            &c["identities"][0]["value"],
            &c["identities"][0]["scope"],
            &c["identities"][0]["source"]
        ),
        (
            &json!("openid"),
            &json!(FAN),
            &json!(APP_ID),
            &json!("wechat.callback")
        )
    );
    let id = c["id"].as_str().unwrap().to_owned();

    let (s, _) = f
        .post_safe(&text_xml("请问几点营业？😀 ]]> <b>", 9_001, t + 1), APP_ID)
        .await;
    assert_eq!(s, 200);
    let (s, _) = f.post_safe(&event_xml("LOCATION", "", t + 2).replace("</xml>", "<Latitude>31.820587</Latitude><Longitude>117.227239</Longitude><Precision>15.0</Precision></xml>"), APP_ID).await;
    assert_eq!(s, 200);
    let (s, body) = f
        .post_safe(&event_xml("unsubscribe", "", t + 3), APP_ID)
        .await;
    assert_eq!((s, body.as_str()), (200, "success"));

    let c = f.customer().await;
    assert_eq!(c["following"], false);
    assert_eq!(c["last_location"], json!([31.820587, 117.227239]));
    let (_, msgs) = f
        .app
        .get(&format!("/api/v1/customers/{id}/messages"), &f.key)
        .await;
    let items = msgs["items"].as_array().unwrap();
    let kinds: Vec<(&str, Option<&str>)> = items
        .iter()
        .map(|m| (m["msg_type"].as_str().unwrap(), m["event"].as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("event", Some("unsubscribe")),
            ("event", Some("LOCATION")),
            ("text", None),
            ("event", Some("subscribe"))
        ]
    );
    assert_eq!(items[2]["content"], "请问几点营业？😀 ]]> <b>");
    assert_eq!(items[3]["created_at"], t * 1000);
    assert_eq!(items[3]["replied"], true);
    let history = siyu_store::customers::follow_history(&f.app.state.store, &tenant_of(&f), &id)
        .await
        .unwrap();
    assert_eq!(
        history
            .iter()
            .map(|h| h.action.as_str())
            .collect::<Vec<_>>(),
        ["unfollow", "follow"]
    );
    f.app.stop().await;
}

/// The account is cached per node for its callbacks; its welcome text is not.
async fn a_changed_welcome_reaches_the_next_follow(backend: Backend) {
    let f = fixture(backend, "safe").await;
    let t = f.now();
    let (s, body) = f.post_safe(&event_xml("subscribe", "", t), APP_ID).await;
    assert_eq!(s, 200, "{body}");
    assert!(f.decrypt_reply(&body).contains("欢迎关注小满咖啡 ☕"));
    let (s, _) = f
        .post_safe(&event_xml("unsubscribe", "", t + 1), APP_ID)
        .await;
    assert_eq!(s, 200);

    let tenant = tenant_of(&f);
    let mut tx = f.app.state.store.begin().await.unwrap();
    siyu_store::wechat_accounts::set_welcome(&mut tx, &tenant, &f.account, Some("冬季新品上市"), t)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let (s, body) = f
        .post_safe(&event_xml("subscribe", "", t + 2), APP_ID)
        .await;
    assert_eq!(s, 200, "{body}");
    let reply = f.decrypt_reply(&body);
    assert!(
        reply.contains("冬季新品上市") && !reply.contains("小满咖啡"),
        "{reply}"
    );
    f.app.stop().await;
}

fn tenant_of(f: &Fixture) -> siyu_domain::TenantId {
    let rt = tokio::runtime::Handle::current();
    let a = tokio::task::block_in_place(|| {
        rt.block_on(siyu_store::wechat_accounts::get_for_callback(
            &f.app.state.store,
            &f.account,
        ))
    })
    .unwrap();
    siyu_domain::TenantId::parse(&a.tenant_id).unwrap()
}

async fn retries_are_answered_once(backend: Backend) {
    let f = fixture(backend, "safe").await;
    let t = f.now();
    let sub = event_xml("subscribe", "", t);
    let mut replies = Vec::new();
    for _ in 0..4 {
        let (s, body) = f.post_safe(&sub, APP_ID).await;
        assert_eq!(s, 200);
        replies.push(f.decrypt_reply(&body));
    }
    assert!(
        replies.iter().all(|r| r == &replies[0]),
        "every retry gets the first reply"
    );
    for _ in 0..3 {
        assert_eq!(f.post_safe(&text_xml("hi", 42, t), APP_ID).await.0, 200);
    }
    assert_eq!(f.inbound_count().await, 2, "one record per delivery");
    let history = siyu_store::customers::follow_history(
        &f.app.state.store,
        &tenant_of(&f),
        f.customer().await["id"].as_str().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(history.len(), 1, "one follow, not four");
    f.app.stop().await;
}

async fn hostile_callbacks_are_refused_and_counted(backend: Backend) {
    let f = fixture(backend, "compatible").await;
    let t = f.now();
    let xml = text_xml("hello", 7, t);
    let cases: Vec<(u16, &str, (u16, String))> = vec![
        (
            401,
            "wechat_bad_signature",
            f.post_plain(&xml, t, Some("0000000000000000000000000000000000000000"))
                .await,
        ),
        (
            401,
            "wechat_stale_timestamp",
            f.post_plain(&xml, t - 3_600, None).await,
        ),
        (
            400,
            "wechat_malformed",
            f.post_plain("<xml><MsgType>text</MsgType", t, None).await,
        ),
        (
            400,
            "wechat_malformed",
            f.post_plain("<!DOCTYPE x [<!ENTITY a \"b\">]><xml>&a;</xml>", t, None)
                .await,
        ),
        (413, "", f.post_plain(&"x".repeat(70 * 1024), t, None).await),
        (
            401,
            "wechat_wrong_appid",
            f.post_safe(&xml, "wx0000000000000000").await,
        ),
    ];
    for (want, want_code, (status, body)) in cases {
        assert_eq!(status, want, "{body}");
        assert!(body.contains(want_code), "{body}");
    }
    assert_eq!(f.inbound_count().await, 0, "nothing stored");
    let (s, list) = f.app.get("/api/v1/customers", &f.key).await;
    assert_eq!((s, list["items"].as_array().unwrap().len()), (200, 0));
    let metrics = f.app.metrics().await;
    for reason in [
        "wechat_bad_signature",
        "wechat_stale_timestamp",
        "wechat_malformed",
        "wechat_wrong_appid",
    ] {
        assert!(
            metrics.contains(&format!(
                "siyu_wechat_rejected_total{{reason=\"{reason}\"}}"
            )),
            "{reason} counted"
        );
    }
    // The same message, correctly signed, is accepted in compatible mode.
    assert_eq!(f.post_plain(&xml, t, None).await.0, 200);
    assert_eq!(f.inbound_count().await, 1);
    f.app.stop().await;
}

async fn plain_requests_to_a_safe_account_are_refused(backend: Backend) {
    let f = fixture(backend, "safe").await;
    let t = f.now();
    let (s, body) = f.post_plain(&text_xml("hello", 8, t), t, None).await;
    assert_eq!(
        (s, body.contains("wechat_wrong_mode")),
        (401, true),
        "{body}"
    );
    assert_eq!(f.inbound_count().await, 0);
    f.app.stop().await;
}
