//! Custom menu: validation with WeChat's errcodes, both read shapes, delete.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{errcode, Wx};
use serde_json::{json, Value};
use siyu_fake_wechat::FakeConfig;

fn sample() -> Value {
    json!({"button": [
        {"type": "click", "name": "今日歌曲", "key": "V1001"},
        {"name": "菜单", "sub_button": [
            {"type": "view", "name": "搜索", "url": "http://www.soso.com/"},
            {"type": "miniprogram", "name": "wxa", "url": "http://mp.weixin.qq.com", "appid": "wx286b93c14bbf93aa", "pagepath": "pages/lunar/index"}
        ]}
    ]})
}

#[tokio::test]
async fn create_get_selfmenu_delete() {
    let wx = Wx::start(FakeConfig::new()).await;
    assert_eq!(
        wx.get("/cgi-bin/menu/get", &[]).await,
        json!({"errcode": 46003, "errmsg": "menu no exist"})
    );
    assert_eq!(
        wx.post("/cgi-bin/menu/create", sample()).await,
        json!({"errcode": 0, "errmsg": "ok"})
    );

    let got = wx.get("/cgi-bin/menu/get", &[]).await;
    assert_eq!(
        got["menu"]["button"][0],
        json!({"type": "click", "name": "今日歌曲", "key": "V1001", "sub_button": []})
    );
    assert_eq!(
        got["menu"]["button"][1]["sub_button"][1]["appid"],
        "wx286b93c14bbf93aa"
    );
    assert_eq!(wx.fake.menu().unwrap(), got["menu"]);

    let selfmenu = wx.get("/cgi-bin/get_current_selfmenu_info", &[]).await;
    assert_eq!(selfmenu["is_menu_open"], 1);
    let group = &selfmenu["selfmenu_info"]["button"][1];
    assert_eq!(
        group["sub_button"]["list"][0],
        json!({"type": "view", "name": "搜索", "url": "http://www.soso.com/"})
    );

    assert_eq!(errcode(&wx.get("/cgi-bin/menu/delete", &[]).await), 0);
    assert_eq!(errcode(&wx.get("/cgi-bin/menu/get", &[]).await), 46003);
    assert!(wx.fake.menu().is_none());
    // menu/delete wants GET.
    assert_eq!(
        errcode(&wx.post("/cgi-bin/menu/delete", json!({})).await),
        43001
    );
}

#[tokio::test]
async fn invalid_menus_get_wechat_errcodes() {
    let wx = Wx::start(FakeConfig::new()).await;
    let click = |name: &str| json!({"type": "click", "name": name, "key": "K"});
    let cases = [
        (json!({"button": []}), 40016),
        (
            json!({"button": [click("a"), click("b"), click("c"), click("d")]}),
            40016,
        ),
        (json!({"button": [click(&"x".repeat(17))]}), 40018),
        (json!({"button": [click("六个汉字啊啊")]}), 40018),
        (json!({"button": [click("")]}), 40018),
        (json!({"button": [{"type": "jump", "name": "a"}]}), 40017),
        (json!({"button": [{"type": "click", "name": "a"}]}), 40019),
        (
            json!({"button": [{"type": "click", "name": "a", "key": "k".repeat(129)}]}),
            40019,
        ),
        (json!({"button": [{"type": "view", "name": "a"}]}), 40020),
        (
            json!({"button": [{"name": "g", "sub_button": vec![click("s"); 6]}]}),
            40023,
        ),
        (
            json!({"button": [{"name": "g", "sub_button": [click(&"x".repeat(61))]}]}),
            40025,
        ),
        (
            json!({"button": [{"name": "g", "sub_button": [{"type": "nope", "name": "s"}]}]}),
            40024,
        ),
        (
            json!({"button": [{"name": "g", "sub_button": [{"type": "click", "name": "s"}]}]}),
            40026,
        ),
        (
            json!({"button": [{"name": "g", "sub_button": [{"type": "view", "name": "s", "url": "u".repeat(1025)}]}]}),
            40027,
        ),
        (
            json!({"button": [{"name": "g", "sub_button": [{"name": "s", "sub_button": [click("t")]}]}]}),
            40022,
        ),
    ];
    for (menu, code) in cases {
        let answer = wx.post("/cgi-bin/menu/create", menu.clone()).await;
        assert_eq!(errcode(&answer), code, "{menu}");
    }
    // Limits are bytes: 5 Chinese characters = 15 bytes ≤ 16 is fine at the top level.
    let ok = json!({"button": [click("五个汉字啊"), {"name": "g", "sub_button": [click(&"字".repeat(20))]}]});
    assert_eq!(errcode(&wx.post("/cgi-bin/menu/create", ok).await), 0);
    assert!(wx.fake.menu().is_some());
}
