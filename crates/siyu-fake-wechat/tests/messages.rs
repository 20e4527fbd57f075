//! Customer-service, template and mass messages.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{errcode, Wx};
use serde_json::{json, Value};
use siyu_fake_wechat::FakeConfig;

const CUSTOM: &str = "/cgi-bin/message/custom/send";
const TEMPLATE: &str = "/cgi-bin/message/template/send";
const SENDALL: &str = "/cgi-bin/message/mass/sendall";
const SEND: &str = "/cgi-bin/message/mass/send";

fn text(to: &str, content: &str) -> Value {
    json!({"touser": to, "msgtype": "text", "text": {"content": content}})
}

#[tokio::test]
async fn custom_messages_need_the_48h_window() {
    let wx = Wx::start(FakeConfig::new().with_followers(2)).await;
    let ids = wx.fake.follower_openids();
    let closed = wx.post(CUSTOM, text(&ids[0], "你好")).await;
    assert_eq!(
        closed,
        json!({"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"})
    );
    let now = wx.fake.now_unix();
    wx.fake.touch(&ids[0], now - 47 * 3600);
    assert_eq!(
        wx.post(CUSTOM, text(&ids[0], "你好")).await,
        json!({"errcode": 0, "errmsg": "ok"})
    );
    assert_eq!(wx.fake.custom_messages(), vec![text(&ids[0], "你好")]);

    wx.fake.advance_clock(Duration::from_secs(90 * 60));
    assert_eq!(
        errcode(&wx.post(CUSTOM, text(&ids[0], "late")).await),
        45015
    );

    assert_eq!(
        errcode(&wx.post(CUSTOM, text("o6_bmjUNKNOWN", "x")).await),
        40003
    );
    wx.fake.touch(&ids[1], wx.fake.now_unix());
    assert_eq!(errcode(&wx.post(CUSTOM, text(&ids[1], "")).await), 44004);
    let bad_type = json!({"touser": ids[1], "msgtype": "hologram", "hologram": {}});
    assert_eq!(errcode(&wx.post(CUSTOM, bad_type).await), 40008);
    for i in 0..20 {
        assert_eq!(
            errcode(&wx.post(CUSTOM, text(&ids[1], &format!("m{i}"))).await),
            0
        );
    }
    assert_eq!(
        errcode(&wx.post(CUSTOM, text(&ids[1], "21st")).await),
        45047
    );
    wx.fake.touch(&ids[1], wx.fake.now_unix());
    assert_eq!(errcode(&wx.post(CUSTOM, text(&ids[1], "again")).await), 0);
}

#[tokio::test]
async fn open_service_window_knob() {
    let wx = Wx::start(FakeConfig::new().with_open_service_window()).await;
    assert_eq!(errcode(&wx.post(CUSTOM, text("oANY", "hi")).await), 0);
}

#[tokio::test]
async fn template_messages_return_msgid() {
    let wx = Wx::start(FakeConfig::new().with_template("TPL_ORDER")).await;
    let msg = json!({"touser": "oA", "template_id": "TPL_ORDER", "client_msg_id": "MSG_1",
                     "data": {"thing1": {"value": "巧克力"}}});
    let first = wx.post(TEMPLATE, msg.clone()).await;
    assert_eq!((errcode(&first), first["errmsg"].clone()), (0, json!("ok")));
    let msgid = first["msgid"].as_u64().unwrap();
    assert_eq!(
        wx.post(TEMPLATE, msg.clone()).await["msgid"],
        msgid,
        "client_msg_id dedupes"
    );
    let records = wx.fake.template_messages();
    assert_eq!(records.len(), 1);
    assert_eq!((records[0].msgid, &records[0].body), (msgid, &msg));

    let unknown = json!({"touser": "oA", "template_id": "NOPE", "data": {}});
    assert_eq!(
        wx.post(TEMPLATE, unknown).await,
        json!({"errcode": 40037, "errmsg": "invalid template_id"})
    );
}

#[tokio::test]
async fn mass_send_ids_dedupe_and_monthly_quota() {
    let wx = Wx::start(FakeConfig::new().with_mass_monthly_quota(2)).await;
    let by_tag = json!({"filter": {"is_to_all": false, "tag_id": 2}, "msgtype": "text",
                        "text": {"content": "上新"}, "clientmsgid": "job-1"});
    let r = wx.post(SENDALL, by_tag.clone()).await;
    assert_eq!(r["errmsg"], "send job submission success");
    let msg_id = r["msg_id"].as_u64().unwrap();
    assert!(r["msg_data_id"].as_u64().is_some());

    // Reused clientmsgid: 45065 with the existing msg_id, nothing recorded.
    let dup = wx.post(SEND, json!({"touser": ["oA", "oB"], "msgtype": "text", "text": {"content": "x"}, "clientmsgid": "job-1"})).await;
    assert_eq!(
        dup,
        json!({"errcode": 45065, "errmsg": "clientmsgid exist", "msg_id": msg_id})
    );

    let bad_tag = json!({"filter": {"is_to_all": false, "tag_id": 999}, "msgtype": "text", "text": {"content": "x"}});
    assert_eq!(errcode(&wx.post(SENDALL, bad_tag).await), 45159);
    let one = json!({"touser": ["oA"], "msgtype": "text", "text": {"content": "x"}});
    assert_eq!(errcode(&wx.post(SEND, one).await), 40130);
    let images =
        json!({"touser": ["oA", "oB"], "msgtype": "image", "images": {"media_ids": ["m1"]}});
    assert_eq!(errcode(&wx.post(SEND, images).await), 0);

    let to_all =
        json!({"filter": {"is_to_all": true}, "msgtype": "mpnews", "mpnews": {"media_id": "m"}});
    assert_eq!(
        wx.post(SENDALL, to_all.clone()).await,
        json!({"errcode": 45028, "errmsg": "has no masssend quota"})
    );
    let sent = wx.fake.mass_messages();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        (sent[0].path.as_str(), sent[0].msg_id, &sent[0].body),
        (SENDALL, msg_id, &by_tag)
    );
    assert_eq!(sent[1].path, SEND);

    // A new calendar month restores the quota.
    wx.fake.advance_clock(Duration::from_secs(32 * 86_400));
    wx.stable_token(true).await; // the old token expired meanwhile
    let t = wx.fake.tokens_issued().pop().unwrap();
    let r = wx.raw_post(SENDALL, &[("access_token", &t)], to_all).await;
    assert_eq!(errcode(&r), 0);
}
