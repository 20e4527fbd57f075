//! The console through a cookie-keeping HTTP client: sign-in, CSRF, throttling, roles,
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.
//! language, on both backends.

mod support;

use siyu_store::Backend;
use support::TestApp;

/// A client that keeps cookies and does not follow redirects, like a careful browser.
struct Browser {
    http: reqwest::Client,
    base: String,
    csrf: String,
}

struct Page {
    status: u16,
    location: Option<String>,
    set_cookies: Vec<String>,
    html: String,
}

impl Browser {
    fn new(app: &TestApp) -> Browser {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            http,
            base: app.base.clone(),
            csrf: String::new(),
        }
    }

    async fn read(resp: reqwest::Response) -> Page {
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let set_cookies = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let html = resp.text().await.unwrap();
        Page {
            status,
            location,
            set_cookies,
            html,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let p = Self::read(
            self.http
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap(),
        )
        .await;
        if let Some(i) = p.html.find("name=\"csrf\" value=\"") {
            let rest = &p.html[i + 19..];
            self.csrf = rest[..rest.find('"').unwrap()].to_owned();
        }
        p
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone();
        form.push(("csrf", &csrf));
        Self::read(
            self.http
                .post(format!("{}{path}", self.base))
                .form(&form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn post_without_csrf(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        Self::read(
            self.http
                .post(format!("{}{path}", self.base))
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn login(&mut self, login: &str, password: &str) -> Page {
        self.get("/console/login").await;
        self.post(
            "/console/login",
            &[("login", login), ("password", password)],
        )
        .await
    }
}

story!(
    sign_in_dashboard_sign_out,
    forms_without_csrf_are_refused,
    wrong_passwords_are_throttled,
    language_switch_is_remembered,
    roles_limit_pages,
    owner_manages_staff_and_keys,
    platform_admin_sees_all_merchants,
    owner_connects_an_account_and_reads_a_conversation,
    menu_editor_validates_and_saves,
    reply_editor_adds_rules_and_faq,
);

async fn reply_editor_adds_rules_and_faq(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("回复").await;
    app.staff(Some(&tenant), "owner8", "owner", "correct-horse")
        .await;
    let (_, acct) = app
        .call("POST", "/api/v1/wechat/accounts", &key, Some(serde_json::json!({"app_id": "wx00000000000000ee", "app_secret": "0123456789abcdef0123456789abcdef", "token": "replyToken", "mode": "plain"})))
        .await;
    let id = acct["id"].as_str().unwrap();
    let mut b = Browser::new(&app);
    b.login("owner8", "correct-horse").await;
    assert_eq!(
        b.get(&format!("/console/wechat/{id}/replies")).await.status,
        200
    );
    let p = b
        .post(
            &format!("/console/wechat/{id}/replies/rules"),
            &[
                ("kind", "regex"),
                ("keywords", "(bad"),
                ("reply", "x"),
                ("priority", "0"),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "an invalid regex is refused");
    let p = b
        .post(
            &format!("/console/wechat/{id}/replies/rules"),
            &[
                ("kind", "contains"),
                ("keywords", "营业时间，几点开门"),
                ("reply", "每天 8 点开门"),
                ("priority", "5"),
            ],
        )
        .await;
    assert_eq!(p.status, 200);
    assert!(p.html.contains("营业时间，几点开门"));
    let p = b
        .post(
            &format!("/console/wechat/{id}/replies/kb"),
            &[
                ("questions", "怎么退货\n如何申请退款"),
                ("answer", "订单页申请售后"),
            ],
        )
        .await;
    assert_eq!(p.status, 200);
    let p = b
        .post(
            &format!("/console/wechat/{id}/replies/fallback"),
            &[("text", "稍后回复您")],
        )
        .await;
    assert_eq!(p.status, 200);
    let p = b
        .post(
            &format!("/console/wechat/{id}/replies/try"),
            &[("text", "请问几点开门")],
        )
        .await;
    assert!(p.html.contains("每天 8 点开门"), "{}", p.html);
    let config = app
        .get(&format!("/api/v1/wechat/accounts/{id}/replies"), &key)
        .await
        .1;
    assert_eq!(
        config["rules"][0]["matcher"]["value"],
        serde_json::json!(["营业时间", "几点开门"])
    );
    assert_eq!(
        config["knowledge_base"][0]["questions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(config["fallback"]["value"], "稍后回复您");
    let rule = config["rules"][0]["id"].as_str().unwrap();
    b.post(
        &format!("/console/wechat/{id}/replies/rules/{rule}/delete"),
        &[],
    )
    .await;
    assert!(app
        .get(&format!("/api/v1/wechat/accounts/{id}/replies"), &key)
        .await
        .1["rules"]
        .as_array()
        .unwrap()
        .is_empty());
    app.stop().await;
}

async fn menu_editor_validates_and_saves(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("菜单").await;
    app.staff(Some(&tenant), "owner7", "owner", "correct-horse")
        .await;
    let (_, acct) = app
        .call("POST", "/api/v1/wechat/accounts", &key, Some(serde_json::json!({"app_id": "wx00000000000000dd", "app_secret": "0123456789abcdef0123456789abcdef", "token": "menuToken", "mode": "plain"})))
        .await;
    let id = acct["id"].as_str().unwrap();
    let mut b = Browser::new(&app);
    b.login("owner7", "correct-horse").await;
    let p = b.get(&format!("/console/wechat/{id}/menu")).await;
    assert_eq!(p.status, 200);
    let p = b
        .post(
            &format!("/console/wechat/{id}/menu"),
            &[
                ("b0_name", "一二三四五六七"),
                ("b0_type", "click"),
                ("b0_value", "K"),
            ],
        )
        .await;
    assert_eq!(p.status, 422, "a top-level name over 16 bytes");
    assert!(
        p.html.contains("button[0].name") && p.html.contains("一二三四五六七"),
        "the error and the entered values are shown"
    );
    assert!(
        app.get(&format!("/api/v1/wechat/accounts/{id}/menu"), &key)
            .await
            .1["menu"]
            .is_null(),
        "nothing saved"
    );
    let p = b
        .post(
            &format!("/console/wechat/{id}/menu"),
            &[
                ("b0_name", "今日推荐"),
                ("b0_type", "click"),
                ("b0_value", "TODAY"),
                ("b1_name", "会员"),
                ("b1_s0_name", "会员卡"),
                ("b1_s0_type", "view"),
                ("b1_s0_value", "https://example.com/card"),
            ],
        )
        .await;
    assert_eq!(p.status, 200);
    let menu = app
        .get(&format!("/api/v1/wechat/accounts/{id}/menu"), &key)
        .await
        .1;
    assert_eq!(menu["menu"]["button"][0]["key"], "TODAY");
    assert_eq!(
        menu["menu"]["button"][1]["sub_button"][0]["url"],
        "https://example.com/card"
    );
    let audit = app.get("/api/v1/audit-log", &key).await.1.to_string();
    assert!(audit.contains("wechat_menu.save"));
    app.stop().await;
}

async fn owner_connects_an_account_and_reads_a_conversation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("公众号").await;
    app.staff(Some(&tenant), "owner6", "owner", "correct-horse")
        .await;
    let mut b = Browser::new(&app);
    b.login("owner6", "correct-horse").await;
    let p = b.get("/console/wechat").await;
    assert!(p.html.contains("尚未接入公众号"));
    let form = [
        ("name", "小满服务号"),
        ("app_id", "wx00000000000000cc"),
        ("app_secret", "0123456789abcdef0123456789abcdef"),
        ("token", "consoleToken"),
        ("encoding_aes_key", ""),
        ("mode", "plain"),
        ("welcome_text", "欢迎！"),
    ];
    let mut bad = form;
    bad[1] = ("app_id", "not-an-appid");
    let p = b.post("/console/wechat", &bad).await;
    assert_eq!(p.status, 422);
    assert!(p.html.contains("app_id"));
    assert_eq!(b.post("/console/wechat", &form).await.status, 303);
    let p = b.get("/console/wechat").await;
    let accounts = app.get("/api/v1/wechat/accounts", &key).await.1;
    let account = accounts["items"][0]["id"].as_str().unwrap().to_owned();
    let html = p.html.replace("&#x2f;", "/");
    assert!(
        html.contains(&format!("{}/wechat/{account}", app.base)),
        "the callback URL to paste into WeChat: {html}"
    );

    let t = app.state.now() / 1000;
    let xml = format!("<xml><ToUserName>gh_x</ToUserName><FromUserName>o_console_fan</FromUserName><CreateTime>{t}</CreateTime><MsgType>text</MsgType><Content>会员卡怎么办理？</Content><MsgId>77</MsgId></xml>");
    assert_eq!(
        support::wechat_post_plain(&app, &account, "consoleToken", &xml)
            .await
            .0,
        200
    );
    let p = b.get("/console/fans").await;
    assert!(p.html.contains("客户总数 1"), "{}", p.html);
    let customer = app
        .get("/api/v1/customers?identity=openid:o_console_fan", &key)
        .await
        .1["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let p = b.get(&format!("/console/fans/{customer}")).await;
    assert_eq!(p.status, 200);
    assert!(p.html.contains("会员卡怎么办理？") && p.html.contains("<code>o_console_fan</code>"));
    assert_eq!(b.get("/console/fans/cu_nobody").await.status, 404);
    app.stop().await;
}

async fn sign_in_dashboard_sign_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, _) = app.tenant("小满咖啡").await;
    app.staff(Some(&tenant), "owner1", "owner", "correct-horse")
        .await;
    let mut b = Browser::new(&app);

    let p = b.get("/console").await;
    assert_eq!(
        (p.status, p.location.as_deref()),
        (303, Some("/console/login"))
    );
    assert!(p.set_cookies.iter().any(|c| c.starts_with("siyu_csrf=")
        && c.contains("HttpOnly")
        && c.contains("SameSite=Lax")));
    let p = b.get("/console/login").await;
    assert_eq!(p.status, 200);
    assert!(p.html.contains("登录商户后台"), "Chinese by default");

    let p = b
        .post(
            "/console/login",
            &[("login", "owner1"), ("password", "wrong-password")],
        )
        .await;
    assert_eq!(p.status, 401);
    assert!(p.html.contains("账号或密码错误"));
    let p = b
        .post(
            "/console/login",
            &[("login", "OWNER1"), ("password", "correct-horse")],
        )
        .await;
    assert_eq!((p.status, p.location.as_deref()), (303, Some("/console")));
    let session = p
        .set_cookies
        .iter()
        .find(|c| c.starts_with("siyu_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );

    let p = b.get("/console").await;
    assert_eq!(p.status, 200);
    assert!(p.html.contains("小满咖啡"));
    assert!(p.html.contains("id=\"count-staff\">1<"), "real staff count");
    assert!(p.html.contains("id=\"count-keys\">1<"), "real key count");

    let p = b.post("/console/logout", &[]).await;
    assert_eq!(
        (p.status, p.location.as_deref()),
        (303, Some("/console/login"))
    );
    let p = b.get("/console").await;
    assert_eq!(p.status, 303, "the session ended");
    app.stop().await;
}

async fn forms_without_csrf_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("CSRF").await;
    app.staff(Some(&tenant), "owner2", "owner", "correct-horse")
        .await;
    let mut b = Browser::new(&app);
    let p = b
        .post_without_csrf(
            "/console/login",
            &[("login", "owner2"), ("password", "correct-horse")],
        )
        .await;
    assert_eq!(p.status, 403, "no CSRF cookie or field");
    b.get("/console/login").await;
    let p = b
        .post_without_csrf(
            "/console/login",
            &[("login", "owner2"), ("password", "correct-horse")],
        )
        .await;
    assert_eq!(p.status, 403, "cookie but no field");
    assert!(p
        .set_cookies
        .iter()
        .all(|c| !c.starts_with("siyu_session=")));

    assert_eq!(b.login("owner2", "correct-horse").await.status, 303);
    let staff_before = app.get("/api/v1/staff", &key).await.1;
    let p = b
        .post_without_csrf(
            "/console/staff",
            &[
                ("login", "sneaky"),
                ("password", "password1"),
                ("role", "owner"),
            ],
        )
        .await;
    assert_eq!(p.status, 403);
    let mut other = Browser::new(&app);
    other.get("/console/login").await;
    b.csrf = other.csrf.clone();
    let p = b
        .post(
            "/console/staff",
            &[
                ("login", "sneaky"),
                ("password", "password1"),
                ("role", "owner"),
            ],
        )
        .await;
    assert_eq!(p.status, 403, "another browser's token");
    assert_eq!(
        app.get("/api/v1/staff", &key).await.1,
        staff_before,
        "nothing changed"
    );
    app.stop().await;
}

async fn wrong_passwords_are_throttled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("Throttle").await;
    app.staff(Some(&tenant), "owner3", "owner", "correct-horse")
        .await;
    let mut b = Browser::new(&app);
    for _ in 0..5 {
        assert_eq!(b.login("owner3", "guess-guess").await.status, 401);
    }
    let p = b.login("owner3", "correct-horse").await;
    assert_eq!(p.status, 429, "throttled even with the right password");
    assert!(p.html.contains("15"));
    let audit = app
        .get("/api/v1/audit-log?limit=200", &key)
        .await
        .1
        .to_string();
    assert_eq!(audit.matches("login.failed").count(), 5);
    app.clock.advance(15 * 60 * 1000 + 1);
    assert_eq!(
        b.login("owner3", "correct-horse").await.status,
        303,
        "the window passed"
    );
    app.stop().await;
}

async fn language_switch_is_remembered(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, _) = app.tenant("Lang").await;
    app.staff(Some(&tenant), "owner4", "owner", "correct-horse")
        .await;
    let mut b = Browser::new(&app);
    b.login("owner4", "correct-horse").await;
    assert!(b.get("/console").await.html.contains("概览"));
    let p = b
        .post(
            "/console/lang",
            &[("lang", "en"), ("next", "/console/staff")],
        )
        .await;
    assert_eq!(
        (p.status, p.location.as_deref()),
        (303, Some("/console/staff"))
    );
    let p = b.get("/console").await;
    assert!(p.html.contains("Dashboard") && p.html.contains("lang=\"en\""));
    let p = b
        .post(
            "/console/lang",
            &[("lang", "en"), ("next", "https://evil.example/")],
        )
        .await;
    assert_eq!(
        p.location.as_deref(),
        Some("/console"),
        "never redirects off-site"
    );

    // Another browser: the account remembers English.
    let mut c = Browser::new(&app);
    c.login("owner4", "correct-horse").await;
    assert!(c.get("/console").await.html.contains("Dashboard"));
    app.stop().await;
}

async fn roles_limit_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, _) = app.tenant("Roles").await;
    app.staff(Some(&tenant), "clerk1", "clerk", "correct-horse")
        .await;
    app.staff(Some(&tenant), "ops1", "operator", "correct-horse")
        .await;
    let mut clerk = Browser::new(&app);
    clerk.login("clerk1", "correct-horse").await;
    assert_eq!(clerk.get("/console").await.status, 200);
    for path in [
        "/console/staff",
        "/console/audit",
        "/console/settings",
        "/console/platform",
    ] {
        assert_eq!(clerk.get(path).await.status, 403, "clerk on {path}");
    }
    let mut ops = Browser::new(&app);
    ops.login("ops1", "correct-horse").await;
    assert_eq!(ops.get("/console/staff").await.status, 200);
    assert_eq!(ops.get("/console/audit").await.status, 200);
    assert_eq!(ops.get("/console/settings").await.status, 403);
    let p = ops
        .post(
            "/console/staff",
            &[
                ("login", "x-new"),
                ("password", "password1"),
                ("role", "owner"),
            ],
        )
        .await;
    assert_eq!(p.status, 403, "operators cannot add staff");
    app.stop().await;
}

async fn owner_manages_staff_and_keys(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("Owner").await;
    app.staff(Some(&tenant), "owner5", "owner", "correct-horse")
        .await;
    let mut b = Browser::new(&app);
    b.login("owner5", "correct-horse").await;
    b.get("/console/staff").await;
    let p = b
        .post(
            "/console/staff",
            &[
                ("login", "new-clerk"),
                ("password", "password1"),
                ("role", "clerk"),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    let p = b
        .post(
            "/console/staff",
            &[
                ("login", "new-clerk"),
                ("password", "password1"),
                ("role", "clerk"),
            ],
        )
        .await;
    assert_eq!(p.status, 409);
    assert!(p.html.contains("already taken"));
    let p = b
        .post(
            "/console/staff",
            &[("login", "x"), ("password", "password1"), ("role", "clerk")],
        )
        .await;
    assert_eq!(p.status, 422);
    let staff = app.get("/api/v1/staff", &key).await.1;
    assert_eq!(staff["items"].as_array().unwrap().len(), 2);

    b.get("/console/settings").await;
    let p = b
        .post("/console/settings/keys", &[("label", "小程序")])
        .await;
    assert_eq!(p.status, 201);
    let i = p.html.find("id=\"new-key\">").unwrap() + 13;
    let new_key = &p.html[i..i + p.html[i..].find('<').unwrap()];
    assert_eq!(
        app.get("/api/v1/tenant", new_key).await.0,
        200,
        "the shown key works"
    );
    let p = b
        .post("/console/settings", &[("name", "Owner 新名字")])
        .await;
    assert_eq!(p.status, 200);
    assert_eq!(
        app.get("/api/v1/tenant", &key).await.1["name"],
        "Owner 新名字"
    );
    let audit = b.get("/console/audit").await;
    assert!(audit.html.contains("tenant.rename") && audit.html.contains("staff.create"));
    app.stop().await;
}

async fn platform_admin_sees_all_merchants(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.tenant("Merchant One").await;
    app.staff(None, "root-admin", "platform_admin", "correct-horse")
        .await;
    let mut b = Browser::new(&app);
    let p = b.login("root-admin", "correct-horse").await;
    assert_eq!(p.location.as_deref(), Some("/console/platform"));
    let p = b.get("/console/platform").await;
    assert!(p.html.contains("Merchant One"));
    assert_eq!(
        b.get("/console").await.location.as_deref(),
        Some("/console/platform")
    );
    let p = b
        .post("/console/platform/tenants", &[("name", "Merchant Two")])
        .await;
    assert_eq!(p.status, 201);
    assert!(p.html.contains("Merchant Two") && p.html.contains("id=\"new-key\">sy_"));
    let p = b.post("/console/platform/tenants", &[("name", " ")]).await;
    assert_eq!(p.status, 422);
    app.stop().await;
}
