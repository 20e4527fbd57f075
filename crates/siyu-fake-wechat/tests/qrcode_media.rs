//! QR codes and temporary media.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{errcode, Wx};
use serde_json::{json, Value};
use siyu_fake_wechat::FakeConfig;

const QR: &str = "/cgi-bin/qrcode/create";

fn qr(action: &str, scene: Value, expire: Option<i64>) -> Value {
    let mut v = json!({"action_name": action, "action_info": {"scene": scene}});
    if let Some(e) = expire {
        v["expire_seconds"] = json!(e);
    }
    v
}

#[tokio::test]
async fn qr_codes_of_all_four_kinds() {
    let wx = Wx::start(FakeConfig::new()).await;
    let t = wx
        .post(
            QR,
            qr(
                "QR_STR_SCENE",
                json!({"scene_str": "campaign_42"}),
                Some(604_800),
            ),
        )
        .await;
    assert_eq!(t["expire_seconds"], 604_800);
    assert!(t["url"]
        .as_str()
        .unwrap()
        .starts_with("http://weixin.qq.com/q/02"));
    assert!(t["ticket"].as_str().unwrap().starts_with("gQGA8Dw"));
    assert!(t.get("errcode").is_none());
    let d = wx
        .post(QR, qr("QR_SCENE", json!({"scene_id": 123}), None))
        .await;
    assert_eq!(d["expire_seconds"], 60, "default lifetime");
    let again = wx
        .post(
            QR,
            qr(
                "QR_STR_SCENE",
                json!({"scene_str": "campaign_42"}),
                Some(60),
            ),
        )
        .await;
    assert_ne!(
        again["ticket"], t["ticket"],
        "temporary codes are new each time"
    );

    let p1 = wx
        .post(
            QR,
            qr("QR_LIMIT_STR_SCENE", json!({"scene_str": "shop"}), None),
        )
        .await;
    let p2 = wx
        .post(
            QR,
            qr("QR_LIMIT_STR_SCENE", json!({"scene_str": "shop"}), None),
        )
        .await;
    assert_eq!(p1, p2, "same permanent scene, same ticket and url");
    assert!(p1.get("expire_seconds").is_none());
    let n = wx
        .post(QR, qr("QR_LIMIT_SCENE", json!({"scene_id": 100_000}), None))
        .await;
    assert_ne!(n["url"], p1["url"]);

    let codes = wx.fake.qrcodes();
    assert_eq!(codes.len(), 5);
    assert!(codes[3].is_permanent());
    assert_eq!(codes[3].scene_str.as_deref(), Some("shop"));
    assert_eq!(codes[4].scene_id, Some(100_000));
}

#[tokio::test]
async fn qr_validation() {
    let wx = Wx::start(FakeConfig::new()).await;
    let cases = [
        (qr("QR_STR_SCENE", json!({"scene_str": ""}), None), 40053),
        (
            qr("QR_STR_SCENE", json!({"scene_str": "x".repeat(65)}), None),
            40053,
        ),
        (
            qr("QR_LIMIT_SCENE", json!({"scene_id": 100_001}), None),
            40053,
        ),
        (qr("QR_SCENE", json!({"scene_id": 0}), None), 40053),
        (
            qr("QR_SCENE", json!({"scene_id": 1}), Some(2_592_001)),
            40097,
        ),
        (qr("QR_BOGUS", json!({"scene_id": 1}), None), 40052),
    ];
    for (body, code) in cases {
        assert_eq!(errcode(&wx.post(QR, body.clone()).await), code, "{body}");
    }
    let max = wx
        .post(
            QR,
            qr(
                "QR_STR_SCENE",
                json!({"scene_str": "字".repeat(64)}),
                Some(2_592_000),
            ),
        )
        .await;
    assert_eq!(max["expire_seconds"], 2_592_000, "64 characters, 30 days");
}

async fn upload(wx: &Wx, kind: &str, field: &str, name: &str, bytes: Vec<u8>) -> Value {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("application/octet-stream")
        .unwrap();
    let form = reqwest::multipart::Form::new().part(field.to_owned(), part);
    let resp = wx
        .http
        .post(wx.url("/cgi-bin/media/upload"))
        .query(&[("access_token", wx.token.as_str()), ("type", kind)])
        .multipart(form)
        .send()
        .await
        .unwrap();
    resp.json().await.unwrap()
}

#[tokio::test]
async fn media_upload() {
    let wx = Wx::start(FakeConfig::new()).await;
    let r = upload(&wx, "image", "media", "a.jpg", vec![0xff; 1234]).await;
    assert_eq!(r["type"], "image");
    assert_eq!(r["media_id"].as_str().unwrap().len(), 64);
    assert!(r["created_at"].as_i64().unwrap() > 1_600_000_000);
    let thumb = upload(&wx, "thumb", "media", "t.jpg", vec![1; 100]).await;
    assert!(thumb["thumb_media_id"].is_string());
    let media = wx.fake.media();
    assert_eq!(
        (
            media[0].field.as_str(),
            media[0].filename.as_deref(),
            media[0].len
        ),
        ("media", Some("a.jpg"), 1234)
    );

    assert_eq!(
        errcode(&upload(&wx, "pdf", "media", "a.pdf", vec![1]).await),
        40004
    );
    assert_eq!(
        errcode(&upload(&wx, "image", "file", "a.jpg", vec![1]).await),
        41005
    );
    assert_eq!(
        errcode(&upload(&wx, "voice", "media", "a.jpg", vec![1]).await),
        40005
    );
    assert_eq!(
        errcode(&upload(&wx, "thumb", "media", "t.jpg", vec![1; 65 * 1024]).await),
        40012
    );
    let json_body = wx.post("/cgi-bin/media/upload?type=image", json!({})).await;
    assert_eq!(errcode(&json_body), 41005);
}
