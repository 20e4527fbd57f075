//! Tags: CRUD, batch (un)tagging, a user's tags and a tag's members.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{errcode, Wx};
use serde_json::{json, Value};
use siyu_fake_wechat::FakeConfig;

async fn create(wx: &Wx, name: &str) -> Value {
    wx.post("/cgi-bin/tags/create", json!({"tag": {"name": name}}))
        .await
}

#[tokio::test]
async fn create_list_update_delete() {
    let wx = Wx::start(FakeConfig::new()).await;
    let list = wx.get("/cgi-bin/tags/get", &[]).await;
    assert_eq!(
        list,
        json!({"tags": [{"id": 2, "name": "星标组", "count": 0}]})
    );
    let created = create(&wx, "广东").await;
    assert_eq!(created, json!({"tag": {"id": 100, "name": "广东"}}));
    assert_eq!(
        create(&wx, "广东").await,
        json!({"errcode": 45157, "errmsg": "invalid tag name"})
    );
    assert_eq!(errcode(&create(&wx, "").await), 45157);
    assert_eq!(
        errcode(&create(&wx, &"长".repeat(11)).await),
        45158,
        "33 bytes"
    );
    assert_eq!(errcode(&create(&wx, &"长".repeat(10)).await), 0, "30 bytes");

    let update = |id: i64, name: &str| {
        wx.post(
            "/cgi-bin/tags/update",
            json!({"tag": {"id": id, "name": name}}),
        )
    };
    assert_eq!(
        update(100, "广州").await,
        json!({"errcode": 0, "errmsg": "ok"})
    );
    assert_eq!(errcode(&update(2, "x").await), 45058);
    assert_eq!(errcode(&update(999, "x").await), 45159);
    // tags/get also answers POST (the brief's shape) as well as GET (the client's).
    let via_post = wx.post("/cgi-bin/tags/get", json!({})).await;
    assert_eq!(
        via_post["tags"][1],
        json!({"id": 100, "name": "广州", "count": 0})
    );

    let delete = |id: i64| wx.post("/cgi-bin/tags/delete", json!({"tag": {"id": id}}));
    assert_eq!(errcode(&delete(1).await), 45058);
    assert_eq!(errcode(&delete(100).await), 0);
    assert_eq!(errcode(&delete(100).await), 45159);
    assert_eq!(wx.fake.tags().len(), 2);
}

#[tokio::test]
async fn at_most_100_tags() {
    let wx = Wx::start(FakeConfig::new()).await;
    for i in 0..100 {
        assert_eq!(errcode(&create(&wx, &format!("t{i}")).await), 0);
    }
    assert_eq!(
        create(&wx, "one more").await,
        json!({"errcode": 45056, "errmsg": "too many tags"})
    );
}

#[tokio::test]
async fn batch_tagging_and_members() {
    let wx = Wx::start(FakeConfig::new().with_followers(120).with_page_size(50)).await;
    let ids = wx.fake.follower_openids();
    create(&wx, "VIP").await;
    async fn tag(wx: &Wx, path: &str, list: &[String], tagid: i64) -> Value {
        wx.post(path, json!({"openid_list": list, "tagid": tagid}))
            .await
    }
    let batch = "/cgi-bin/tags/members/batchtagging";
    assert_eq!(
        errcode(&tag(&wx, batch, &ids[..51], 100).await),
        40032,
        "≤ 50 per call"
    );
    assert_eq!(errcode(&tag(&wx, batch, &[], 100).await), 40032);
    assert_eq!(errcode(&tag(&wx, batch, &ids[..2], 555).await), 45159);
    let with_unknown = vec![ids[0].clone(), "o6_bmjUNKNOWN".to_owned()];
    assert_eq!(errcode(&tag(&wx, batch, &with_unknown, 100).await), 40003);
    assert!(
        wx.fake.tags()[1].members.is_empty(),
        "rejected batches change nothing"
    );

    for chunk in ids.chunks(50) {
        assert_eq!(
            tag(&wx, batch, chunk, 100).await,
            json!({"errcode": 0, "errmsg": "ok"})
        );
    }
    tag(&wx, batch, &ids[..1], 2).await;
    assert_eq!(wx.fake.tags()[1].members, ids);
    let idlist = wx
        .post("/cgi-bin/tags/getidlist", json!({"openid": ids[0]}))
        .await;
    assert_eq!(idlist, json!({"tagid_list": [2, 100]}));
    let info = wx.get("/cgi-bin/user/info", &[("openid", &ids[0])]).await;
    assert_eq!(info["tagid_list"], json!([2, 100]));
    assert_eq!(
        wx.get("/cgi-bin/tags/get", &[]).await["tags"][1]["count"],
        120
    );

    // Members page like user/get.
    let members = |next: &str| {
        wx.post(
            "/cgi-bin/user/tag/get",
            json!({"tagid": 100, "next_openid": next}),
        )
    };
    let mut all = Vec::new();
    let mut next = String::new();
    let mut requests = 0;
    loop {
        let page = members(&next).await;
        requests += 1;
        let Some(list) = page["data"]["openid"].as_array() else {
            assert_eq!(page["count"], 0);
            break;
        };
        all.extend(list.iter().map(|o| o.as_str().unwrap().to_owned()));
        next = page["next_openid"].as_str().unwrap().to_owned();
    }
    assert_eq!((all, requests), (ids.clone(), 4));

    let untag = "/cgi-bin/tags/members/batchuntagging";
    assert_eq!(errcode(&tag(&wx, untag, &ids[..50], 100).await), 0);
    assert_eq!(wx.fake.tags()[1].members, ids[50..]);
    let idlist = wx
        .post("/cgi-bin/tags/getidlist", json!({"openid": ids[0]}))
        .await;
    assert_eq!(idlist, json!({"tagid_list": [2]}));
}

#[tokio::test]
async fn a_user_carries_at_most_20_tags() {
    let wx = Wx::start(FakeConfig::new()).await;
    let user = vec!["oUSER".to_owned()];
    for i in 0..21 {
        create(&wx, &format!("t{i}")).await;
    }
    for id in 100..120 {
        let r = wx
            .post(
                "/cgi-bin/tags/members/batchtagging",
                json!({"openid_list": user, "tagid": id}),
            )
            .await;
        assert_eq!(errcode(&r), 0);
    }
    let r = wx
        .post(
            "/cgi-bin/tags/members/batchtagging",
            json!({"openid_list": user, "tagid": 120}),
        )
        .await;
    assert_eq!(errcode(&r), 45059);
}
