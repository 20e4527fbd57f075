//! Channels: QR codes from WeChat (a local fake), rendered images that decode to WeChat's URL,
//! and attribution figures from follows and scans.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.

mod support;

use serde_json::json;
use siyu_fake_wechat::FakeConfig;
use siyu_store::Backend;
use support::{code, wechat_post_plain, TestApp};

const TOKEN: &str = "channelToken";

async fn setup(backend: Backend) -> (TestApp, siyu_fake_wechat::FakeWechat, String, String) {
    let fake = siyu_fake_wechat::spawn(FakeConfig::default()).await;
    let app = TestApp::spawn_with(backend, &[("SIYU_WECHAT_API_BASE", fake.base_url())]).await;
    let (_, key) = app.tenant("渠道").await;
    let (s, a) = app
        .call("POST", "/api/v1/wechat/accounts", &key, Some(json!({"app_id": "wx00000000000000c1", "app_secret": "0123456789abcdef0123456789abcdef", "token": TOKEN, "mode": "plain"})))
        .await;
    assert_eq!(s, 201);
    (app, fake, key, a["id"].as_str().unwrap().to_owned())
}

fn decode_png(bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(bytes);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

story!(
    an_associate_has_a_personal_code_and_sees_their_fans,
    a_location_inside_a_store_earns_one_offer_a_day,
    a_channel_gets_a_code_that_scans_to_wechats_url,
    channel_figures_follow_the_fans,
    channels_in_the_console,
    a_channel_welcomes_and_tags_its_fans
);

async fn a_channel_welcomes_and_tags_its_fans(backend: Backend) {
    let (app, _fake, key, account) = setup(backend).await;
    let (_, c) = app
        .call(
            "POST",
            "/api/v1/channels",
            &key,
            Some(json!({"name": "秋季海报", "kind": "poster"})),
        )
        .await;
    let (id, scene) = (
        c["id"].as_str().unwrap().to_owned(),
        c["scene"].as_str().unwrap().to_owned(),
    );
    let (s, e) = app
        .call(
            "PUT",
            &format!("/api/v1/channels/{id}/welcome"),
            &key,
            Some(json!({"tags": ["a,b"]})),
        )
        .await;
    assert_eq!((s, support::code(&e)), (422, "validation_failed"));
    let (s, w) = app
        .call("PUT", &format!("/api/v1/channels/{id}/welcome"), &key, Some(json!({"welcome_text": "扫海报关注的朋友，送你一杯拿铁券！", "tags": ["海报粉", "秋季", "海报粉"]})))
        .await;
    assert_eq!(s, 200, "{w}");
    assert_eq!(w["tags"], json!(["海报粉", "秋季"]));
    assert_eq!(
        app.get(&format!("/api/v1/channels/{id}/welcome"), &key)
            .await
            .1,
        w
    );
    let now = app.state.now() / 1000;
    let follow = |fan: &str, key: &str| {
        format!("<xml><ToUserName>gh_x</ToUserName><FromUserName>{fan}</FromUserName><CreateTime>{now}</CreateTime><MsgType>event</MsgType><Event>subscribe</Event><EventKey>{key}</EventKey></xml>")
    };
    let (_, reply) = wechat_post_plain(
        &app,
        &account,
        TOKEN,
        &follow("fan_poster", &format!("qrscene_{scene}")),
    )
    .await;
    assert!(reply.contains("送你一杯拿铁券"), "{reply}");
    let (_, plain) = wechat_post_plain(&app, &account, TOKEN, &follow("fan_plain", "")).await;
    assert!(!plain.contains("拿铁券"), "{plain}");
    let (_, found) = app
        .get("/api/v1/customers?identity=openid:fan_poster", &key)
        .await;
    assert_eq!(found["items"][0]["tags"], json!(["海报粉", "秋季"]));
    assert_eq!(found["items"][0]["first_channel"], json!(id));
    let (_, other) = app
        .get("/api/v1/customers?identity=openid:fan_plain", &key)
        .await;
    assert_eq!(other["items"][0]["tags"], json!([]));
    app.stop().await;
}

async fn an_associate_has_a_personal_code_and_sees_their_fans(backend: Backend) {
    let (app, _fake, key, account) = setup(backend).await;
    let tenant = app.get("/api/v1/tenant", &key).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let clerk = app
        .staff(Some(&tenant), "clerk-wang", "clerk", "correct-horse")
        .await;
    let (s, e) = app
        .call(
            "POST",
            "/api/v1/channels",
            &key,
            Some(json!({"name": "x", "kind": "poster", "staff_id": clerk})),
        )
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("kind")));
    let (s, e) = app
        .call(
            "POST",
            "/api/v1/channels",
            &key,
            Some(json!({"name": "x", "kind": "associate", "staff_id": "st_nobody"})),
        )
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("staff_id")));

    let http = support::console_login(&app, "clerk-wang", "correct-horse").await;
    let me = http
        .get(app.url("/console/me"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(me.contains("make-my-qr"), "{me}");
    let r = http
        .post(app.url("/console/me/channel"))
        .form(&[("csrf", support::csrf_of(&me))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, list) = app.get("/api/v1/channels", &key).await;
    let scene = list["items"][0]["scene"].as_str().unwrap().to_owned();
    assert_eq!(list["items"][0]["kind"], "associate");
    let now = app.state.now() / 1000;
    for fan in ["fan_w1", "fan_w2"] {
        let xml = format!("<xml><ToUserName>gh_x</ToUserName><FromUserName>{fan}</FromUserName><CreateTime>{now}</CreateTime><MsgType>event</MsgType><Event>subscribe</Event><EventKey>qrscene_{scene}</EventKey></xml>");
        assert_eq!(wechat_post_plain(&app, &account, TOKEN, &xml).await.0, 200);
    }
    let me = http
        .get(app.url("/console/me"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        me.contains("class=\"n my-follows\">2<"),
        "the associate sees their two fans"
    );
    assert!(!me.contains("make-my-qr"));
    app.stop().await;
}

async fn a_location_inside_a_store_earns_one_offer_a_day(backend: Backend) {
    let fake = siyu_fake_wechat::spawn(FakeConfig::default().with_open_service_window()).await;
    let app = TestApp::spawn_with(backend, &[("SIYU_WECHAT_API_BASE", fake.base_url())]).await;
    let (_, key) = app.tenant("门店优惠").await;
    let (_, a) = app
        .call("POST", "/api/v1/wechat/accounts", &key, Some(json!({"app_id": "wx00000000000000c2", "app_secret": "0123456789abcdef0123456789abcdef", "token": TOKEN, "mode": "plain"})))
        .await;
    let account = a["id"].as_str().unwrap();
    let (s, e) = app
        .call(
            "POST",
            "/api/v1/stores",
            &key,
            Some(json!({"name": "滨湖店", "latitude": 91.0, "longitude": 117.0})),
        )
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("latitude")));
    let (s, _) = app
        .call("POST", "/api/v1/stores", &key, Some(json!({"name": "滨湖店", "latitude": 31.7405, "longitude": 117.2821, "radius_m": 300, "offer_text": "您就在滨湖店附近，凭此消息到店美式立减 5 元"})))
        .await;
    assert_eq!(s, 201);
    let now = app.state.now() / 1000;
    let location = |fan: &str, t: i64, lat: f64, lon: f64| {
        format!("<xml><ToUserName>gh_x</ToUserName><FromUserName>{fan}</FromUserName><CreateTime>{t}</CreateTime><MsgType>event</MsgType><Event>LOCATION</Event><Latitude>{lat}</Latitude><Longitude>{lon}</Longitude><Precision>20</Precision></xml>")
    };
    // Inside (about 100 m away), three reports in a row; another fan 5 km away.
    for (i, xml) in [
        location("fan_near", now - 30, 31.7410, 117.2830),
        location("fan_near", now - 20, 31.7412, 117.2829),
        location("fan_near", now - 10, 31.7409, 117.2825),
        location("fan_far", now - 10, 31.7800, 117.3300),
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(
            wechat_post_plain(&app, account, TOKEN, xml).await.0,
            200,
            "report {i}"
        );
    }
    for _ in 0..200 {
        if siyu_store::jobs::queue_depth(&app.state.store)
            .await
            .unwrap()
            == 0
            && !fake.custom_messages().is_empty()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let sent = fake.custom_messages();
    assert_eq!(sent.len(), 1, "one offer per fan per day: {sent:?}");
    assert!(
        format!("{:?}", sent[0]).contains("fan_near")
            && format!("{:?}", sent[0]).contains("滨湖店")
    );
    app.stop().await;
}

async fn channels_in_the_console(backend: Backend) {
    let (app, _fake, key, _) = setup(backend).await;
    let tenant = app.get("/api/v1/tenant", &key).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.staff(Some(&tenant), "ops-ch", "operator", "correct-horse")
        .await;
    let http = support::console_login(&app, "ops-ch", "correct-horse").await;
    let list = http
        .get(app.url("/console/channels"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("还没有渠道二维码"));
    let csrf = support::csrf_of(&list);
    let r = http
        .post(app.url("/console/channels"))
        .form(&[
            ("name", "包装二维码"),
            ("kind", "package"),
            ("cost_yuan", "1.5x"),
            ("expires_in_days", ""),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "a bad amount is refused");
    let r = http
        .post(app.url("/console/channels"))
        .form(&[
            ("name", "包装二维码"),
            ("kind", "package"),
            ("cost_yuan", "120.50"),
            ("expires_in_days", ""),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let detail_path = r.headers()["location"].to_str().unwrap().to_owned();
    let detail = http
        .get(app.url(&detail_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(detail.contains("包装二维码") && detail.contains("id=\"channel-qr\""));
    let png = http
        .get(app.url(&format!("{detail_path}/qr.png?size=256")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let (_, list) = app.get("/api/v1/channels", &key).await;
    assert_eq!(
        decode_png(&png),
        list["items"][0]["qr_url"].as_str().unwrap()
    );
    assert_eq!(list["items"][0]["cost_fen"], 12050);
    let page = http
        .get(app.url("/console/channels"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("echarts.min.js") && page.contains("channels-chart"),
        "{page}"
    );
    app.stop().await;
}

async fn a_channel_gets_a_code_that_scans_to_wechats_url(backend: Backend) {
    let (app, fake, key, _) = setup(backend).await;
    let (s, c) = app
        .call(
            "POST",
            "/api/v1/channels",
            &key,
            Some(json!({"name": "秋季海报", "kind": "poster"})),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let (id, scene, url) = (
        c["id"].as_str().unwrap(),
        c["scene"].as_str().unwrap(),
        c["qr_url"].as_str().unwrap(),
    );
    assert!(url.starts_with("http://weixin.qq.com/q/"), "{url}");
    assert_eq!(fake.qrcodes().len(), 1);

    let png = app
        .http
        .get(app.url(&format!("/api/v1/channels/{id}/qr.png?size=300")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    assert_eq!(
        decode_png(&png.bytes().await.unwrap()),
        url,
        "the PNG decodes to qr_url"
    );
    let svg = app
        .http
        .get(app.url(&format!("/api/v1/channels/{id}/qr.svg")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(svg.starts_with("<?xml") && svg.contains("<svg"));
    let (s, e) = app
        .get(&format!("/api/v1/channels/{id}/qr.png?size=10"), &key)
        .await;
    assert_eq!((s, code(&e)), (422, "validation_failed"));

    for (body, field) in [
        (json!({"name": "", "kind": "poster"}), "name"),
        (json!({"name": "x", "kind": "billboard"}), "kind"),
        (
            json!({"name": "x", "kind": "event", "expires_in_days": 31}),
            "expires_in_days",
        ),
        (
            json!({"name": "x", "kind": "ad", "cost_fen": -1}),
            "cost_fen",
        ),
    ] {
        let (s, e) = app.call("POST", "/api/v1/channels", &key, Some(body)).await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some(field)), "{e}");
    }
    fake.fail_next("/cgi-bin/qrcode/create", 48001, 1);
    let (s, e) = app
        .call(
            "POST",
            "/api/v1/channels",
            &key,
            Some(json!({"name": "x", "kind": "table"})),
        )
        .await;
    assert_eq!((s, code(&e)), (502, "wechat_api_error"), "{e}");
    let (_, list) = app.get("/api/v1/channels", &key).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "a refused code stores no channel"
    );

    let (_, key2) = app.tenant("无公众号").await;
    let (s, e) = app
        .call(
            "POST",
            "/api/v1/channels",
            &key2,
            Some(json!({"name": "x", "kind": "table"})),
        )
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("account_id")));
    assert!(!scene.is_empty());
    app.stop().await;
}

async fn channel_figures_follow_the_fans(backend: Backend) {
    let (app, _fake, key, account) = setup(backend).await;
    let (_, c) = app
        .call(
            "POST",
            "/api/v1/channels",
            &key,
            Some(json!({"name": "12 号桌", "kind": "table", "cost_fen": 600})),
        )
        .await;
    let (id, scene) = (
        c["id"].as_str().unwrap().to_owned(),
        c["scene"].as_str().unwrap().to_owned(),
    );
    let now = app.state.now() / 1000;
    let day = 86_400;
    let event = |fan: &str, at: i64, ev: &str, key: &str| {
        format!("<xml><ToUserName>gh_x</ToUserName><FromUserName>{fan}</FromUserName><CreateTime>{at}</CreateTime><MsgType>event</MsgType><Event>{ev}</Event><EventKey>{key}</EventKey></xml>")
    };
    let qrscene = format!("qrscene_{scene}");
    for xml in [
        event("fan_a", now - 10 * day, "subscribe", &qrscene),
        event("fan_b", now - 10 * day, "subscribe", &qrscene),
        event("fan_b", now - 8 * day, "unsubscribe", ""),
        event("fan_c", now - 3600, "subscribe", &qrscene),
        event("fan_old", now - 20 * day, "subscribe", ""),
        event("fan_old", now - 60, "SCAN", &scene),
        event("fan_x", now - 60, "subscribe", "qrscene_another"),
    ] {
        assert_eq!(wechat_post_plain(&app, &account, TOKEN, &xml).await.0, 200);
    }
    let (s, stats) = app.get(&format!("/api/v1/channels/{id}/stats"), &key).await;
    assert_eq!(s, 200);
    assert_eq!(stats["scans"], 4, "three follows and one scan: {stats}");
    assert_eq!(
        stats["new_follows"], 3,
        "a scan by an existing follower is not a new fan"
    );
    assert_eq!(stats["unfollows"], 1);
    assert_eq!(
        stats["retained_7d"], 1,
        "fan_b left within 7 days; fan_c is too new to count"
    );
    assert_eq!(stats["active"], 2);
    assert_eq!(
        stats["cost_per_retained_fan_fen"], 300,
        "600 fen over the two fans still following"
    );
    let (_, old) = app
        .get("/api/v1/customers?identity=openid:fan_old", &key)
        .await;
    assert_eq!(
        old["items"][0]["first_scene"],
        serde_json::Value::Null,
        "first touch stays with how they came"
    );
    assert_eq!(
        old["items"][0]["last_scene"],
        scene.as_str(),
        "last touch is the scan"
    );
    app.stop().await;
}
