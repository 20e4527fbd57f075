//! Attribution as a property: for any sequence of follows (through a code or not), unfollows,
//! re-follows and scans by followers, each profile's first and last touch and each channel's
//! scans, new follows and unfollows are what a plain model of the rules says.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.

mod support;

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::json;
use siyu_fake_wechat::FakeConfig;
use siyu_store::Backend;
use support::TestApp;

const TOKEN: &str = "attrToken";
const FANS: usize = 3;
const CHANNELS: usize = 2;

#[derive(Debug, Clone, Copy)]
enum Ev {
    /// Follow through channel `Some(c)` or without a code.
    Follow(Option<usize>),
    Unfollow,
    /// Scan channel `c`'s code (a follower's scan is a SCAN event; WeChat makes anyone else's a
    /// follow).
    Scan(usize),
}

fn ev() -> impl Strategy<Value = Ev> {
    prop_oneof![
        (proptest::option::of(0..CHANNELS)).prop_map(Ev::Follow),
        Just(Ev::Unfollow),
        (0..CHANNELS).prop_map(Ev::Scan),
    ]
}

#[derive(Debug, Default, Clone)]
struct Fan {
    known: bool,
    following: bool,
    ever_unfollowed: bool,
    first: Option<usize>,
    last: Option<usize>,
}

#[derive(Debug, Default, Clone, PartialEq)]
struct Figures {
    scans: i64,
    new_follows: i64,
    unfollows: i64,
}

/// The rules: a follow with a code sets the first touch if there is none and is the last touch;
/// a follower's scan is only the last touch (re-engagement, not a new fan); an unfollow keeps
/// the touches; a non-follower's scan is a follow through that code. An unfollow by someone who
/// does not follow is not delivered by WeChat.
fn model(events: &[(usize, Ev)]) -> (Vec<Fan>, Vec<Figures>, Vec<(usize, Ev)>) {
    let mut fans = vec![Fan::default(); FANS];
    let mut figures = vec![Figures::default(); CHANNELS];
    let mut delivered = Vec::new();
    for &(f, e) in events {
        let fan = &mut fans[f];
        let e = match e {
            Ev::Scan(c) if !fan.following => Ev::Follow(Some(c)),
            Ev::Follow(_) if fan.following => continue,
            Ev::Unfollow if !fan.following => continue,
            other => other,
        };
        fan.known = true;
        match e {
            Ev::Follow(c) => {
                fan.following = true;
                if let Some(c) = c {
                    fan.first = fan.first.or(Some(c));
                    fan.last = Some(c);
                    figures[c].scans += 1;
                    figures[c].new_follows += 1;
                }
            }
            Ev::Unfollow => {
                fan.following = false;
                fan.ever_unfollowed = true;
            }
            Ev::Scan(c) => {
                fan.last = Some(c);
                figures[c].scans += 1;
            }
        }
        delivered.push((f, e));
    }
    for (c, fig) in figures.iter_mut().enumerate() {
        fig.unfollows = fans
            .iter()
            .filter(|x| x.first == Some(c) && !x.following && x.ever_unfollowed)
            .count() as i64;
    }
    (fans, figures, delivered)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn attribution_follows_the_rules(events in proptest::collection::vec((0..FANS, ev()), 1..14)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(check(events));
    }
}

async fn check(events: Vec<(usize, Ev)>) {
    let fake = siyu_fake_wechat::spawn(FakeConfig::default()).await;
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SIYU_WECHAT_API_BASE", fake.base_url())],
    )
    .await;
    let (_, key) = app.tenant("归因").await;
    let (_, a) = app
        .call("POST", "/api/v1/wechat/accounts", &key, Some(json!({"app_id": "wx00000000000000a7", "app_secret": "0123456789abcdef0123456789abcdef", "token": TOKEN, "mode": "plain"})))
        .await;
    let account = a["id"].as_str().unwrap().to_owned();
    let mut channels = Vec::new();
    for c in 0..CHANNELS {
        let (s, ch) = app
            .call(
                "POST",
                "/api/v1/channels",
                &key,
                Some(json!({"name": format!("桌{c}"), "kind": "table"})),
            )
            .await;
        assert_eq!(s, 201);
        channels.push((
            ch["id"].as_str().unwrap().to_owned(),
            ch["scene"].as_str().unwrap().to_owned(),
        ));
    }
    let (fans, figures, delivered) = model(&events);
    let start = app.state.now() / 1000 - 1_000;
    for (i, (f, e)) in delivered.iter().enumerate() {
        let (event, key) = match e {
            Ev::Follow(Some(c)) => ("subscribe", format!("qrscene_{}", channels[*c].1)),
            Ev::Follow(None) => ("subscribe", String::new()),
            Ev::Unfollow => ("unsubscribe", String::new()),
            Ev::Scan(c) => ("SCAN", channels[*c].1.clone()),
        };
        let at = start + i as i64;
        let xml = format!("<xml><ToUserName>gh_x</ToUserName><FromUserName>o_attr_{f}</FromUserName><CreateTime>{at}</CreateTime><MsgType>event</MsgType><Event>{event}</Event><EventKey>{key}</EventKey></xml>");
        assert_eq!(
            support::wechat_post_plain(&app, &account, TOKEN, &xml)
                .await
                .0,
            200
        );
    }
    let channel_id = |c: Option<usize>| c.map(|c| json!(channels[c].0)).unwrap_or(json!(null));
    for (f, fan) in fans.iter().enumerate() {
        let (_, found) = app
            .get(
                &format!("/api/v1/customers?identity=openid:o_attr_{f}"),
                &key,
            )
            .await;
        let items = found["items"].as_array().unwrap();
        assert_eq!(items.len(), usize::from(fan.known), "fan {f} in {events:?}");
        if !fan.known {
            continue;
        }
        let id = items[0]["id"].as_str().unwrap();
        let (_, p) = app.get(&format!("/api/v1/customers/{id}"), &key).await;
        assert_eq!(
            p["first_channel"],
            channel_id(fan.first),
            "fan {f} first touch in {events:?}"
        );
        assert_eq!(
            p["last_channel"],
            channel_id(fan.last),
            "fan {f} last touch in {events:?}"
        );
    }
    let mut got = BTreeMap::new();
    for (c, (id, _)) in channels.iter().enumerate() {
        let (_, s) = app.get(&format!("/api/v1/channels/{id}/stats"), &key).await;
        got.insert(
            c,
            Figures {
                scans: s["scans"].as_i64().unwrap(),
                new_follows: s["new_follows"].as_i64().unwrap(),
                unfollows: s["unfollows"].as_i64().unwrap(),
            },
        );
        assert_eq!(got[&c], figures[c], "channel {c} in {events:?}");
    }
    app.stop().await;
    fake.shutdown().await;
}
