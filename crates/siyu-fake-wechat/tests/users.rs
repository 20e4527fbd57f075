//! Users: seeded followers, `user/get` paging, `user/info` and `batchget`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;

use common::{errcode, Wx};
use serde_json::{json, Value};
use siyu_fake_wechat::{spawn, FakeConfig, OPENID_LEN, OPENID_PREFIX};

#[tokio::test]
async fn seeded_followers_are_deterministic_and_realistic() {
    let a = spawn(FakeConfig::new().with_followers(500).with_seed(42)).await;
    let b = spawn(FakeConfig::new().with_followers(500).with_seed(42)).await;
    let c = spawn(FakeConfig::new().with_followers(500).with_seed(43)).await;
    let ids = a.follower_openids();
    assert_eq!(ids, b.follower_openids());
    assert_ne!(ids, c.follower_openids());
    assert_eq!(ids.len(), 500);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 500);
    assert!(ids
        .iter()
        .all(|o| o.len() == OPENID_LEN && o.starts_with(OPENID_PREFIX)));
    let followers: Vec<_> = ids.iter().map(|o| a.follower(o).unwrap()).collect();
    let with_unionid = followers.iter().filter(|f| f.unionid.is_some()).count();
    assert!((200..300).contains(&with_unionid), "{with_unionid}");
    assert!(followers.iter().all(|f| !f.nickname.is_empty()
        && !f.province.is_ascii()
        && !f.city.is_ascii()
        && f.country == "中国"
        && f.sex <= 2));
    assert!(followers
        .windows(2)
        .all(|w| w[0].subscribe_time < w[1].subscribe_time));
}

#[tokio::test]
async fn user_get_pages_like_wechat() {
    let wx = Wx::start(FakeConfig::new().with_followers(25).with_page_size(10)).await;
    let ids = wx.fake.follower_openids();
    let page =
        |v: &Value| -> Vec<String> { serde_json::from_value(v["data"]["openid"].clone()).unwrap() };
    let p1 = wx.get("/cgi-bin/user/get", &[]).await;
    assert_eq!(
        (p1["total"].clone(), p1["count"].clone()),
        (json!(25), json!(10))
    );
    assert_eq!(page(&p1), ids[..10]);
    assert_eq!(p1["next_openid"], json!(ids[9]));
    let p2 = wx
        .get("/cgi-bin/user/get", &[("next_openid", &ids[9])])
        .await;
    assert_eq!(page(&p2), ids[10..20]);
    let p3 = wx
        .get("/cgi-bin/user/get", &[("next_openid", &ids[19])])
        .await;
    assert_eq!(
        (page(&p3), p3["count"].clone()),
        (ids[20..].to_vec(), json!(5))
    );
    // After the last OpenID: count 0, no data, and next_openid still set.
    let end = wx
        .get("/cgi-bin/user/get", &[("next_openid", &ids[24])])
        .await;
    assert_eq!(
        end,
        json!({"total": 25, "count": 0, "next_openid": ids[24]})
    );
    let bad = wx
        .get("/cgi-bin/user/get", &[("next_openid", "o6_bmjnobody")])
        .await;
    assert_eq!(errcode(&bad), 40003);
}

#[tokio::test]
async fn user_info_and_batchget() {
    let wx = Wx::start(FakeConfig::new().with_followers(3)).await;
    let ids = wx.fake.follower_openids();
    let f = wx.fake.follower(&ids[0]).unwrap();
    let info = wx
        .get(
            "/cgi-bin/user/info",
            &[("openid", &ids[0]), ("lang", "zh_CN")],
        )
        .await;
    assert_eq!(info["subscribe"], 1);
    assert_eq!(info["openid"], json!(f.openid));
    assert_eq!(info["subscribe_time"], json!(f.subscribe_time));
    assert_eq!(info["unionid"].as_str(), f.unionid.as_deref());
    assert_eq!(info["tagid_list"], json!([]));
    assert!(
        info.get("nickname").is_none(),
        "no nickname since 2021-12-27"
    );
    assert!(info.get("errcode").is_none());

    let unknown = wx
        .get("/cgi-bin/user/info", &[("openid", "o6_bmjUNKNOWN")])
        .await;
    assert_eq!(
        unknown,
        json!({"errcode": 40003, "errmsg": "invalid openid"})
    );
    assert_eq!(errcode(&wx.get("/cgi-bin/user/info", &[]).await), 41009);

    let list = json!({"user_list": [{"openid": ids[2], "lang": "zh_CN"}, {"openid": ids[1]}]});
    let batch = wx.post("/cgi-bin/user/info/batchget", list).await;
    let got: Vec<&str> = batch["user_info_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["openid"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[2].as_str(), ids[1].as_str()]);

    let too_many: Vec<Value> = (0..101).map(|_| json!({"openid": ids[0]})).collect();
    let over = wx
        .post(
            "/cgi-bin/user/info/batchget",
            json!({"user_list": too_many}),
        )
        .await;
    assert_eq!(errcode(&over), 40032);
    let with_unknown = json!({"user_list": [{"openid": ids[0]}, {"openid": "o6_bmjX"}]});
    assert_eq!(
        errcode(&wx.post("/cgi-bin/user/info/batchget", with_unknown).await),
        40003
    );
}

#[tokio::test]
async fn legacy_profile_and_unseeded_mode() {
    let legacy = Wx::start(FakeConfig::new().with_followers(1).with_legacy_profile()).await;
    let id = legacy.fake.follower_openids().remove(0);
    let f = legacy.fake.follower(&id).unwrap();
    let info = legacy.get("/cgi-bin/user/info", &[("openid", &id)]).await;
    assert_eq!(info["nickname"], json!(f.nickname));
    assert_eq!(info["city"], json!(f.city));
    assert_eq!(info["country"], "中国");

    let open = Wx::start(FakeConfig::new()).await;
    let a = open
        .get("/cgi-bin/user/info", &[("openid", "oANYTHING")])
        .await;
    let b = open
        .get("/cgi-bin/user/info", &[("openid", "oANYTHING")])
        .await;
    assert_eq!(a, b, "synthesized profiles are stable");
    assert_eq!(a["openid"], "oANYTHING");
    let list = open.get("/cgi-bin/user/get", &[]).await;
    assert_eq!(list, json!({"total": 0, "count": 0, "next_openid": ""}));
}
