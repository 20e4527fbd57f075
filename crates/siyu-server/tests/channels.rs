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

/// Every QR code in a PNG (grayscale or RGB), decoded.
fn decode_all(bytes: &[u8]) -> Vec<String> {
    let mut decoder = png::Decoder::new(bytes);
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let n = info.color_type.samples();
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let i = (y * w + x) * n;
        let sum: usize = buf[i..i + n.min(3)].iter().map(|&v| usize::from(v)).sum();
        (sum / n.min(3)) as u8
    });
    img.detect_grids()
        .iter()
        .filter_map(|g| g.decode().ok().map(|d| d.1))
        .collect()
}

fn decode_png(bytes: &[u8]) -> String {
    let all = decode_all(bytes);
    assert_eq!(all.len(), 1, "one QR code in the image");
    all[0].clone()
}

fn le(b: &[u8], i: usize, n: usize) -> usize {
    (0..n).map(|k| usize::from(b[i + k]) << (8 * k)).sum()
}

/// A ZIP read back through its central directory: `(name, flags, data)`, CRCs checked.
fn read_zip(z: &[u8]) -> Vec<(String, usize, Vec<u8>)> {
    let end = z.len() - 22;
    assert_eq!(le(z, end, 4), 0x0605_4b50, "end of central directory");
    let (count, mut at) = (le(z, end + 10, 2), le(z, end + 16, 4));
    let mut out = Vec::new();
    for _ in 0..count {
        assert_eq!(le(z, at, 4), 0x0201_4b50);
        let (flags, method, crc, size) = (
            le(z, at + 8, 2),
            le(z, at + 10, 2),
            le(z, at + 16, 4),
            le(z, at + 24, 4),
        );
        assert_eq!(method, 0, "stored");
        let name_len = le(z, at + 28, 2);
        let local = le(z, at + 42, 4);
        let name = String::from_utf8(z[at + 46..at + 46 + name_len].to_vec()).unwrap();
        assert_eq!(le(z, local, 4), 0x0403_4b50, "local header of {name}");
        let data_at = local + 30 + le(z, local + 26, 2) + le(z, local + 28, 2);
        let data = z[data_at..data_at + size].to_vec();
        assert_eq!(crc32fast::hash(&data) as usize, crc, "CRC of {name}");
        out.push((name, flags, data));
        at += 46 + name_len + le(z, at + 30, 2) + le(z, at + 32, 2);
    }
    out
}

/// Checks a PDF's cross-reference table (every offset points at `n 0 obj`); returns its
/// number of pages.
fn check_pdf(pdf: &[u8]) -> usize {
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(pdf);
    let start: usize = text
        .rsplit("startxref")
        .next()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(pdf[start..].starts_with(b"xref"));
    let table = String::from_utf8_lossy(&pdf[start..]);
    let mut lines = table.lines().skip(1);
    let size: usize = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    for (n, line) in lines.skip(1).take(size - 1).enumerate() {
        let off: usize = line[..10].parse().unwrap();
        assert!(line.ends_with('n') || line.ends_with("n "), "{line}");
        assert!(
            pdf[off..].starts_with(format!("{} 0 obj", n + 1).as_bytes()),
            "object {} at {off}",
            n + 1
        );
    }
    text.match_indices("/Type /Page")
        .filter(|(i, _)| !text[i + 11..].starts_with('s'))
        .count()
}

story!(
    an_associate_has_a_personal_code_and_sees_their_fans,
    a_location_inside_a_store_earns_one_offer_a_day,
    a_channel_gets_a_code_that_scans_to_wechats_url,
    channel_figures_follow_the_fans,
    channels_in_the_console,
    a_channel_welcomes_and_tags_its_fans,
    a_batch_of_table_codes_prints_as_a_zip_and_a_pdf,
    a_batch_wechat_stops_midway_keeps_what_it_made,
    codes_with_a_logo_and_posters,
    table_codes_in_the_console,
    a_burst_of_fans_is_recorded_together
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
    let (s, e) = app
        .call(
            "PUT",
            &format!("/api/v1/channels/{id}/welcome"),
            &key,
            Some(json!({"tags": [], "voucher_template_id": "vt_nope"})),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("voucher_template_id"))
    );
    let (_, tpl) = app
        .call(
            "POST",
            "/api/v1/vouchers/templates",
            &key,
            Some(json!({"name": "拿铁券", "kind": "free_item", "item_name": "拿铁", "stock": 100})),
        )
        .await;
    let template = tpl["id"].as_str().unwrap().to_owned();
    let (s, w) = app
        .call("PUT", &format!("/api/v1/channels/{id}/welcome"), &key, Some(json!({"welcome_text": "扫海报关注的朋友，送你一杯拿铁券！", "tags": ["海报粉", "秋季", "海报粉"], "voucher_template_id": template})))
        .await;
    assert_eq!(s, 200, "{w}");
    assert_eq!(w["voucher_template_id"], json!(template));
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
    // The channel's voucher: one for the fan, even after unfollowing and following again.
    let fan = found["items"][0]["id"].as_str().unwrap().to_owned();
    let tenant = app.get("/api/v1/tenant", &key).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let source = format!("channel:{id}:{fan}");
    let code = support::voucher_of(&app, &tenant, &source).await;
    assert!(code.is_some(), "the follow's voucher was issued");
    let later = |ev: &str, key: &str, dt: i64| {
        format!("<xml><ToUserName>gh_x</ToUserName><FromUserName>fan_poster</FromUserName><CreateTime>{}</CreateTime><MsgType>event</MsgType><Event>{ev}</Event><EventKey>{key}</EventKey></xml>", now + dt)
    };
    wechat_post_plain(&app, &account, TOKEN, &later("unsubscribe", "", 5)).await;
    wechat_post_plain(
        &app,
        &account,
        TOKEN,
        &later("subscribe", &format!("qrscene_{scene}"), 9),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (_, t) = app.get("/api/v1/vouchers/templates", &key).await;
    assert_eq!(t["items"][0]["remaining"], 99, "one voucher per fan: {t}");
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

async fn a_batch_of_table_codes_prints_as_a_zip_and_a_pdf(backend: Backend) {
    let (app, fake, key, _) = setup(backend).await;
    for (body, field) in [
        (
            json!({"prefix": "桌", "kind": "table", "count": 0}),
            "count",
        ),
        (
            json!({"prefix": "桌", "kind": "table", "count": 501}),
            "count",
        ),
        (
            json!({"prefix": "桌", "kind": "billboard", "count": 3}),
            "kind",
        ),
        (
            json!({"prefix": " ", "kind": "table", "count": 3}),
            "prefix",
        ),
        (
            json!({"prefix": "桌", "kind": "table", "count": 3, "start": 99_998}),
            "start",
        ),
        (
            json!({"prefix": "桌", "kind": "table", "count": 3, "account_id": "wa_nope"}),
            "account_id",
        ),
    ] {
        let (s, e) = app
            .call("POST", "/api/v1/channels/batch", &key, Some(body))
            .await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some(field)), "{e}");
    }
    let (s, e) = app
        .call(
            "POST",
            "/api/v1/channels/batch",
            &key,
            Some(json!({"prefix": "桌", "kind": "table", "count": -1})),
        )
        .await;
    assert_eq!((s, code(&e)), (422, "validation_failed"));
    assert!(
        fake.qrcodes().is_empty(),
        "bad input asks WeChat for nothing"
    );
    assert_eq!(
        app.get("/api/v1/channels", &key).await.1["items"],
        json!([])
    );

    let (s, b) = app
        .call(
            "POST",
            "/api/v1/channels/batch",
            &key,
            Some(json!({"prefix": "桌", "kind": "table", "count": 30, "start": 1})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let id = b["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cb_"));
    assert_eq!(b["count"], 30);
    let codes = b["channels"].as_array().unwrap();
    let names: Vec<&str> = codes.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        (1..=30).map(|i| format!("桌{i}")).collect::<Vec<_>>()
    );
    assert_eq!(fake.qrcodes().len(), 30, "one real WeChat code each");
    let (_, list) = app.get("/api/v1/channels", &key).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 30);
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["kind"] == "table"));
    let (s, again) = app
        .get(&format!("/api/v1/channel-batches/{id}"), &key)
        .await;
    assert_eq!(
        (s, again["count"].as_i64(), again["requested"].as_i64()),
        (200, Some(30), Some(30))
    );
    assert_eq!(again["channels"], b["channels"]);

    let r = app
        .http
        .get(app.url(&format!("/api/v1/channel-batches/{id}/codes.zip?size=256")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let zip = r.bytes().await.unwrap();
    let entries = read_zip(&zip);
    assert_eq!(entries.len(), 30);
    for ((name, flags, png), c) in entries.iter().zip(codes) {
        assert_eq!(name, &format!("{}.png", c["name"].as_str().unwrap()));
        assert_eq!(flags & 0x0800, 0x0800, "UTF-8 name flag on {name}");
        assert_eq!(decode_png(png), c["qr_url"].as_str().unwrap(), "{name}");
    }

    let r = app
        .http
        .get(app.url(&format!("/api/v1/channel-batches/{id}/codes.pdf")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    assert_eq!(check_pdf(&pdf), 3, "30 codes, 12 to an A4 page");
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("/BaseFont /STSong-Light") && text.contains("/Encoding /UniGB-UCS2-H"));
    assert!(
        text.contains("<684C0031> Tj"),
        "桌1 under its code, in UCS-2"
    );
    render_pdf_page_one_if_possible(&pdf, codes[0]["qr_url"].as_str().unwrap());

    let (_, key_b) = app.tenant("别家").await;
    for path in ["", "/codes.zip", "/codes.pdf"] {
        let (s, e) = app
            .get(&format!("/api/v1/channel-batches/{id}{path}"), &key_b)
            .await;
        assert_eq!((s, code(&e)), (404, "not_found"), "{path}");
    }
    app.stop().await;
}

/// With poppler's `pdftoppm` on the machine, renders page 1 and finds the first code on it.
fn render_pdf_page_one_if_possible(pdf: &[u8], first_url: &str) {
    let dir = std::env::temp_dir().join(format!(
        "siyu-pdf-{}-{}",
        std::process::id(),
        first_url.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("codes.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftoppm")
        .args(["-r", "200", "-f", "1", "-l", "1", "-gray", "-png"])
        .arg(&file)
        .arg(dir.join("page"))
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let page = std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(Result::ok)
                .find(|e| e.file_name().to_string_lossy().ends_with(".png"))
                .expect("pdftoppm wrote page 1");
            let decoded = decode_all(&std::fs::read(page.path()).unwrap());
            assert!(
                decoded.iter().any(|u| u == first_url),
                "page 1 holds the first code: {decoded:?}"
            );
        }
        _ => eprintln!("pdftoppm is not available; the PDF was checked structurally only"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

async fn a_batch_wechat_stops_midway_keeps_what_it_made(backend: Backend) {
    let config = FakeConfig::default().with_rate_limit(
        "/cgi-bin/qrcode/create",
        siyu_fake_wechat::RateLimit::per_day(12),
    );
    let fake = siyu_fake_wechat::spawn(config).await;
    let app = TestApp::spawn_with(backend, &[("SIYU_WECHAT_API_BASE", fake.base_url())]).await;
    let (_, key) = app.tenant("半途").await;
    let (s, _) = app
        .call("POST", "/api/v1/wechat/accounts", &key, Some(json!({"app_id": "wx00000000000000c3", "app_secret": "0123456789abcdef0123456789abcdef", "token": TOKEN, "mode": "plain"})))
        .await;
    assert_eq!(s, 201);
    let (s, e) = app
        .call(
            "POST",
            "/api/v1/channels/batch",
            &key,
            Some(json!({"prefix": "A区", "kind": "table", "count": 30})),
        )
        .await;
    assert_eq!((s, code(&e)), (502, "wechat_api_error"), "{e}");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("12 of 30 codes were made"), "{message}");
    let batch = message.rsplit("batch ").next().unwrap().trim();
    let (s, b) = app
        .get(&format!("/api/v1/channel-batches/{batch}"), &key)
        .await;
    assert_eq!(
        (s, b["count"].as_i64(), b["requested"].as_i64()),
        (200, Some(12), Some(30)),
        "{b}"
    );
    let names: Vec<&str> = b["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 12);
    assert!(names.iter().all(|n| n.starts_with("A区")));
    assert_eq!(
        app.get("/api/v1/channels", &key).await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        12
    );
    app.stop().await;
}

async fn codes_with_a_logo_and_posters(backend: Backend) {
    let (app, _fake, key, _) = setup(backend).await;
    let (_, c) = app
        .call(
            "POST",
            "/api/v1/channels",
            &key,
            Some(json!({"name": "秋季 <新品> & 礼盒", "kind": "poster"})),
        )
        .await;
    let (id, url) = (c["id"].as_str().unwrap(), c["qr_url"].as_str().unwrap());
    let png = app
        .http
        .get(app.url(&format!("/api/v1/channels/{id}/qr.png?size=400&logo=1")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(decode_png(&png), url, "the code with a logo still scans");
    let (s, e) = app
        .get(&format!("/api/v1/channels/{id}/qr.png?logo=maybe"), &key)
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("logo")));

    let svg = |q: &str| {
        let (http, u, k) = (
            app.http.clone(),
            app.url(&format!("/api/v1/channels/{id}/poster.svg{q}")),
            key.clone(),
        );
        async move {
            let r = http.get(u).bearer_auth(k).send().await.unwrap();
            (
                r.status().as_u16(),
                r.headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_owned()),
                r.text().await.unwrap(),
            )
        }
    };
    let (s, ct, body) = svg("").await;
    assert_eq!((s, ct.as_deref()), (200, Some("image/svg+xml")));
    assert!(
        body.contains(">秋季 &lt;新品&gt; &amp; 礼盒</text>"),
        "the name is the escaped title: {body}"
    );
    assert!(body.contains(">扫码关注</text>"));
    let (s, _, body) = svg("?title=%E5%B0%8F%E6%BB%A1%E5%92%96%E5%95%A1%20%22A%22&caption=%E6%89%AB%E7%A0%81%E9%A2%86%E5%88%B8&bg=%23fff8e1&fg=%23B71C1C").await;
    assert_eq!(s, 200);
    assert!(
        body.contains(">小满咖啡 &quot;A&quot;</text>") && body.contains(">扫码领券</text>"),
        "{body}"
    );
    assert!(body.contains("fill=\"#fff8e1\"") && body.contains("fill=\"#b71c1c\""));
    for q in ["?bg=red", "?fg=%23abc", "?bg=%2312345g"] {
        let (s, _, body) = svg(q).await;
        assert_eq!(s, 422, "{q}: {body}");
    }
    let (s, _, _) = svg(&format!("?title={}", "%E9%95%BF".repeat(31))).await;
    assert_eq!(s, 422, "a title over 30 characters");

    let r = app
        .http
        .get(app.url(&format!("/api/v1/channels/{id}/poster.png?fg=%2307c160")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "image/png");
    let poster = r.bytes().await.unwrap();
    let info = png::Decoder::new(&poster[..])
        .read_info()
        .unwrap()
        .info()
        .clone();
    assert_eq!((info.width, info.height), (1050, 1480));
    assert_eq!(decode_png(&poster), url, "the poster's code scans");
    app.stop().await;
}

async fn table_codes_in_the_console(backend: Backend) {
    let (app, fake, key, _) = setup(backend).await;
    let tenant = app.get("/api/v1/tenant", &key).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.staff(Some(&tenant), "ops-batch", "operator", "correct-horse")
        .await;
    let http = support::console_login(&app, "ops-batch", "correct-horse").await;
    let page = |path: String| {
        let http = http.clone();
        let url = app.url(&path);
        async move { http.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let list = page("/console/channels".into()).await;
    assert!(
        list.contains("批量生成桌码") && list.contains("id=\"batch-form\""),
        "{list}"
    );
    let csrf = support::csrf_of(&list);
    let r = http
        .post(app.url("/console/channels/batch"))
        .form(&[
            ("prefix", "桌"),
            ("kind", "table"),
            ("count", "0"),
            ("start", "1"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "zero codes is refused");
    assert!(fake.qrcodes().is_empty());
    let r = http
        .post(app.url("/console/channels/batch"))
        .form(&[
            ("prefix", "桌"),
            ("kind", "table"),
            ("count", "5"),
            ("start", "11"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/console/channels?batch=cb_"),
        "{location}"
    );
    let made = page(location.clone()).await;
    assert!(
        made.contains("id=\"batch-made\"") && made.contains("桌11–桌15"),
        "{made}"
    );
    let batch = location.rsplit('=').next().unwrap();
    assert!(made.contains(&format!("/console/channel-batches/{batch}/codes.zip")));
    let r = http
        .get(app.url(&format!("/console/channel-batches/{batch}/codes.zip")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/zip");
    let names: Vec<String> = read_zip(&r.bytes().await.unwrap())
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(
        names,
        ["桌11.png", "桌12.png", "桌13.png", "桌14.png", "桌15.png"]
    );
    let r = http
        .get(app.url(&format!("/console/channel-batches/{batch}/codes.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(check_pdf(&r.bytes().await.unwrap()), 1);

    let (_, list) = app.get("/api/v1/channels", &key).await;
    let channel = list["items"][0]["id"].as_str().unwrap().to_owned();
    let detail = page(format!("/console/channels/{channel}")).await;
    assert!(
        detail.contains("id=\"poster-form\"") && detail.contains("logo=1"),
        "{detail}"
    );
    let svg = page(format!(
        "/console/channels/{channel}/poster.svg?title=%E6%A1%8C&caption=&bg=%23ffffff&fg=%2307c160"
    ))
    .await;
    assert!(svg.contains("<svg") && svg.contains(">桌</text>"), "{svg}");
    app.stop().await;
}

/// A live event: many fans follow through one code at once, each delivery sent twice (to two
/// nodes on one database), earlier followers scan or leave meanwhile, a message and a delivery
/// siyu must refuse arrive in the middle. Callbacks are recorded together (group commit); each
/// must come out as if it had been recorded alone.
async fn a_burst_of_fans_is_recorded_together(backend: Backend) {
    let (app, _fake, key, account) = setup(backend).await;
    let other = TestApp::start(support::Start {
        url: &app.db.as_ref().unwrap().url,
        extra: &[],
        registry: siyu_server::jobs::Registry::standard(),
        migrate: false,
    })
    .await;
    let (_, c) = app
        .call(
            "POST",
            "/api/v1/channels",
            &key,
            Some(json!({"name": "活动现场", "kind": "event"})),
        )
        .await;
    let (id, scene) = (
        c["id"].as_str().unwrap().to_owned(),
        c["scene"].as_str().unwrap().to_owned(),
    );
    let (_, tpl) = app
        .call(
            "POST",
            "/api/v1/vouchers/templates",
            &key,
            Some(
                json!({"name": "到场礼", "kind": "free_item", "item_name": "徽章", "stock": 1000}),
            ),
        )
        .await;
    let template = tpl["id"].as_str().unwrap().to_owned();
    let (s, _) = app
        .call("PUT", &format!("/api/v1/channels/{id}/welcome"), &key, Some(json!({"welcome_text": "欢迎来到活动现场！", "tags": ["活动"], "voucher_template_id": template})))
        .await;
    assert_eq!(s, 200);
    let now = app.state.now() / 1000;
    let event = |fan: &str, at: i64, ev: &str, key: &str| {
        format!("<xml><ToUserName>gh_x</ToUserName><FromUserName>{fan}</FromUserName><CreateTime>{at}</CreateTime><MsgType>event</MsgType><Event>{ev}</Event><EventKey>{key}</EventKey></xml>")
    };
    const EARLIER: usize = 20;
    const NEW: usize = 150;
    for i in 0..EARLIER {
        let xml = event(&format!("fan_old{i:02}"), now - 600, "subscribe", "");
        assert_eq!(wechat_post_plain(&app, &account, TOKEN, &xml).await.0, 200);
    }

    // (node, fan, xml, expected status); every new fan's follow twice, once to each node.
    let qrscene = format!("qrscene_{scene}");
    let mut deliveries: Vec<(usize, String, String, u16)> = Vec::new();
    for i in 0..NEW {
        let fan = format!("fan_new{i:03}");
        let xml = event(&fan, now - 5, "subscribe", &qrscene);
        deliveries.push((0, fan.clone(), xml.clone(), 200));
        deliveries.push((1, fan, xml, 200));
    }
    for i in 0..EARLIER {
        let fan = format!("fan_old{i:02}");
        let xml = if i % 2 == 0 {
            event(&fan, now - 5, "SCAN", &scene)
        } else {
            event(&fan, now - 5, "unsubscribe", "")
        };
        deliveries.push((i % 2, fan, xml, 200));
    }
    let text = format!("<xml><ToUserName>gh_x</ToUserName><FromUserName>fan_new007</FromUserName><CreateTime>{now}</CreateTime><MsgType>text</MsgType><Content>几点开始？</Content><MsgId>7001</MsgId></xml>");
    deliveries.push((0, "fan_new007".into(), text, 200));
    let bad = event("fan.bad!", now - 5, "subscribe", &qrscene);
    deliveries.push((1, "fan.bad!".into(), bad, 422));
    // A fixed shuffle, so retries and other events interleave with the follows.
    let n = deliveries.len();
    for i in 0..n {
        deliveries.swap(i, (i * 7919 + 13) % n);
    }

    let nodes = [app.base.clone(), other.base.clone()];
    let ts = now.to_string();
    let sig = siyu_wechat::signature::url_signature(TOKEN, &ts, "77");
    let mut tasks = tokio::task::JoinSet::new();
    for (k, (node, fan, xml, expected)) in deliveries.into_iter().enumerate() {
        let url = format!(
            "{}/wechat/{account}?signature={sig}&timestamp={ts}&nonce=77",
            nodes[node]
        );
        let http = app.http.clone();
        tasks.spawn(async move {
            let r = http.post(url).body(xml).send().await.unwrap();
            let status = r.status().as_u16();
            (k, fan, expected, status, r.text().await.unwrap())
        });
    }
    let mut replies: std::collections::HashMap<String, Vec<String>> = Default::default();
    while let Some(done) = tasks.join_next().await {
        let (_, fan, expected, status, body) = done.unwrap();
        assert_eq!(status, expected, "{fan}: {body}");
        if fan.starts_with("fan_new") && !body.contains("几点开始") {
            replies.entry(fan).or_default().push(body);
        }
    }

    // Every new fan: the channel's welcome, the same to both deliveries.
    assert_eq!(replies.len(), NEW);
    for (fan, r) in &replies {
        let welcomes: Vec<&String> = r
            .iter()
            .filter(|b| b.contains("欢迎来到活动现场"))
            .collect();
        assert_eq!(welcomes.len(), 2, "{fan}: {r:?}");
        assert_eq!(
            welcomes[0], welcomes[1],
            "{fan}: a retry repeats the first reply"
        );
    }
    let (_, stats) = app.get(&format!("/api/v1/channels/{id}/stats"), &key).await;
    assert_eq!(stats["new_follows"], NEW, "{stats}");
    assert_eq!(stats["scans"], NEW + EARLIER / 2, "{stats}");
    assert_eq!(
        stats["unfollows"], 0,
        "the leavers came another way: {stats}"
    );
    let store = &app.state.store;
    assert_eq!(
        siyu_store::inbound::count_for_account(store, &account)
            .await
            .unwrap(),
        (EARLIER + NEW + EARLIER + 1) as i64,
        "one record per delivery, none for the refused one"
    );
    let tenant = app.get("/api/v1/tenant", &key).await.1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let t = siyu_domain::TenantId::parse(&tenant).unwrap();
    assert_eq!(
        siyu_store::customers::counts(store, &t).await.unwrap(),
        ((EARLIER + NEW) as i64, (NEW + EARLIER / 2) as i64),
        "one profile per fan; half the earlier fans left"
    );
    for fan in ["fan_new000", "fan_new007", "fan_new149"] {
        let (_, found) = app
            .get(&format!("/api/v1/customers?identity=openid:{fan}"), &key)
            .await;
        let p = &found["items"][0];
        assert_eq!(p["first_channel"], json!(id), "{fan}: {p}");
        assert_eq!(p["tags"], json!(["活动"]), "{fan}");
        let history = siyu_store::customers::follow_history(store, &t, p["id"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(history.len(), 1, "{fan}: one follow, not two");
        let source = format!("channel:{id}:{}", p["id"].as_str().unwrap());
        assert!(
            support::voucher_of(&app, &tenant, &source).await.is_some(),
            "{fan}'s voucher"
        );
    }
    let (_, old) = app
        .get("/api/v1/customers?identity=openid:fan_old00", &key)
        .await;
    assert_eq!(old["items"][0]["first_channel"], serde_json::Value::Null);
    assert_eq!(
        old["items"][0]["last_channel"],
        json!(id),
        "the scan is the last touch"
    );
    let (_, left) = app
        .get("/api/v1/customers?identity=openid:fan_old01", &key)
        .await;
    assert_eq!(left["items"][0]["following"], false);
    // The audience index follows the bulk writes.
    let (s, seg) = app
        .call(
            "POST",
            "/api/v1/segments/evaluate",
            &key,
            Some(
                json!({"query": "tag(\"活动\") and channel(\"活动现场\", first) and following()"}),
            ),
        )
        .await;
    assert_eq!((s, seg["count"].as_u64()), (200, Some(NEW as u64)), "{seg}");
    // One voucher per new fan, issued once however the deliveries were batched.
    let mut remaining = serde_json::Value::Null;
    for _ in 0..200 {
        remaining =
            app.get("/api/v1/vouchers/templates", &key).await.1["items"][0]["remaining"].clone();
        if remaining == json!(1000 - NEW) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(remaining, json!(1000 - NEW));
    // Callbacks did share transactions.
    let metrics = app.metrics().await;
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or(0.0)
    };
    let (sum, count) = (
        value("siyu_wechat_callback_batch_size_sum"),
        value("siyu_wechat_callback_batch_size_count"),
    );
    assert!(
        count > 0.0 && sum > count,
        "batches of more than one: {sum} / {count}"
    );
    let together = value("siyu_wechat_callback_batches_total{outcome=\"together\"}");
    let one_by_one = value("siyu_wechat_callback_batches_total{outcome=\"one_by_one\"}");
    eprintln!("batches: {count} ({sum} callbacks), {together} together, {one_by_one} one by one");
    assert!(together >= 1.0, "batches recorded in one transaction");
    other.stop().await;
    app.stop().await;
}
