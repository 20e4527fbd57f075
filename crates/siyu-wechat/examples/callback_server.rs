//! A minimal callback server, used to run the wechatpy conformance harness against this crate:
//!
//! ```sh
//! cargo run -p siyu-wechat --example callback_server -- cfg.json 127.0.0.1:8080 compat
//! python wxharness.py run http://127.0.0.1:8080/wechat --config cfg.json
//! ```
//! `cfg.json` is the harness config (`token`, `encoding_aes_key`, `appid`).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use siyu_wechat::reply::{Article, ReplyContent};
use siyu_wechat::{
    AccountMode, Callback, CallbackQuery, Event, Message, MessageKind, PassiveReply, Reply,
    WechatCrypto,
};

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

fn answer(m: &Message) -> PassiveReply {
    let t = now();
    let content = match &m.kind {
        MessageKind::Text { content } => ReplyContent::Text {
            content: format!("echo:{content}"),
        },
        MessageKind::Image { media_id, .. } => ReplyContent::Image {
            media_id: media_id.clone(),
        },
        MessageKind::Voice { media_id, .. } => ReplyContent::Voice {
            media_id: media_id.clone(),
        },
        MessageKind::Video { media_id, .. } => ReplyContent::Video {
            media_id: media_id.clone(),
            title: "t".into(),
            description: "d".into(),
        },
        MessageKind::ShortVideo { thumb_media_id, .. } => ReplyContent::Music {
            title: "m".into(),
            description: String::new(),
            music_url: "http://x/m.mp3".into(),
            hq_music_url: String::new(),
            thumb_media_id: thumb_media_id.clone(),
        },
        MessageKind::Location {
            latitude,
            longitude,
            ..
        } => ReplyContent::Text {
            content: format!("loc:{latitude},{longitude}"),
        },
        MessageKind::Link {
            title,
            description,
            url,
        } => ReplyContent::News {
            articles: vec![Article {
                title: title.clone(),
                description: description.clone(),
                pic_url: String::new(),
                url: url.clone(),
            }],
        },
        MessageKind::Event(
            Event::Subscribe { scene: Some(s), .. } | Event::Scan { scene: s, .. },
        ) => ReplyContent::Text {
            content: format!("scene:{s}"),
        },
        MessageKind::Event(Event::Subscribe { .. }) => ReplyContent::Text {
            content: "welcome".into(),
        },
        MessageKind::Event(Event::Click { key }) => ReplyContent::Text {
            content: format!("click:{key}"),
        },
        _ => return PassiveReply::Success,
    };
    PassiveReply::Reply(Reply::to(m, t, content))
}

async fn verify(
    State(cb): State<Arc<Callback>>,
    Query(q): Query<CallbackQuery>,
) -> (StatusCode, String) {
    match cb.verify_url(&q) {
        Ok(echo) => (StatusCode::OK, echo.to_owned()),
        Err(_) => (StatusCode::FORBIDDEN, "forbidden".into()),
    }
}

async fn receive(
    State(cb): State<Arc<Callback>>,
    Query(q): Query<CallbackQuery>,
    body: Bytes,
) -> (StatusCode, String) {
    let inbound = match cb.open(&q, &body, now()) {
        Ok(i) => i,
        Err(e) if e.is_bad_request() => return (StatusCode::FORBIDDEN, e.to_string()),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    match cb.seal(&inbound.reply, &answer(&inbound.message)) {
        Ok(out) => (StatusCode::OK, out),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let cfg_path = args
        .next()
        .ok_or("usage: callback_server CFG.json [ADDR] [plain|compat|safe]")?;
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".into());
    let mode = match args.next().as_deref() {
        Some("plain") => AccountMode::Plain,
        Some("safe") => AccountMode::Safe,
        _ => AccountMode::Compatible,
    };
    let cfg: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(cfg_path)?)?;
    let field = |k: &str| cfg[k].as_str().unwrap_or_default().to_owned();
    let crypto = WechatCrypto::new(&field("token"), &field("encoding_aes_key"), &field("appid"))?;
    let cb = Arc::new(Callback::new(crypto, mode));
    let app = Router::new()
        .route("/wechat", get(verify).post(receive))
        .with_state(cb);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{addr}/wechat ({mode:?})");
    axum::serve(listener, app).await?;
    Ok(())
}
