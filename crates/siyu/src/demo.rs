//! `siyu demo`: a café with staff, keys, an Official Account and fans on the embedded
//! database, served at once. Without WeChat credentials the fake WeChat API runs in-process,
//! so menus, follower import and everything outbound work locally.

use serde_json::json;
use siyu_domain::{Clock, Role, SystemClock, TenantId};
use siyu_fake_wechat::FakeConfig;
use siyu_server::app::{open_store, shutdown_signal};
use siyu_server::services::{self, Actor};
use siyu_server::wechat::accounts::{self, NewAccount};
use siyu_server::{Application, BuildOptions, Config};
use siyu_store::Store;

/// The demo merchant's name.
pub const DEMO_TENANT: &str = "小满咖啡 Xiaoman Café";
const REAL_WECHAT: &str = "https://api.weixin.qq.com";
const DEMO_TOKEN: &str = "xiaomanDemoToken";

fn random_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())]))
        .collect()
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Creates the demo merchant if missing (returns its id when new) and sets the owner's password.
async fn seed(store: &Store, password: &str) -> Result<Option<TenantId>, String> {
    let now = SystemClock.now_ms();
    if let Some(c) = siyu_store::staff::credentials(store, "demo")
        .await
        .map_err(err)?
    {
        let hash = siyu_server::passwords::hash(password.to_owned())
            .await
            .map_err(err)?;
        let mut tx = store.begin().await.map_err(err)?;
        siyu_store::staff::set_password(&mut tx, &c.staff.id, &hash)
            .await
            .map_err(err)?;
        tx.commit().await.map_err(err)?;
        return Ok(None);
    }
    let (tenant, _) = services::create_tenant(store, DEMO_TENANT, &Actor::System, now)
        .await
        .map_err(err)?;
    let t = Some(&tenant.id);
    services::create_staff(store, t, "demo", Role::Owner, password, &Actor::System, now)
        .await
        .map_err(err)?;
    for (login, role) in [
        ("demo-ops", Role::Operator),
        ("demo-clerk-wang", Role::Clerk),
        ("demo-clerk-li", Role::Clerk),
    ] {
        services::create_staff(
            store,
            t,
            login,
            role,
            &random_password(),
            &Actor::System,
            now,
        )
        .await
        .map_err(err)?;
    }
    services::create_staff(
        store,
        None,
        "demo-admin",
        Role::PlatformAdmin,
        &random_password(),
        &Actor::System,
        now,
    )
    .await
    .map_err(err)?;
    services::create_api_key(
        store,
        &tenant.id,
        "门店收银系统 POS",
        None,
        &Actor::System,
        now,
    )
    .await
    .map_err(err)?;
    services::create_tenant(store, "山野茶铺 Shanye Tea", &Actor::System, now)
        .await
        .map_err(err)?;
    Ok(Some(tenant.id))
}

/// Connects the demo Official Account with auto-replies, a menu and channel QR codes; returns
/// its id and the channels' scenes.
async fn connect_account(
    state: &siyu_server::state::AppState,
    tenant: &TenantId,
) -> Result<(String, Vec<String>), String> {
    let account = accounts::create(
        state,
        tenant,
        NewAccount {
            name: Some("小满咖啡服务号".into()),
            app_id: "wx5f3e2d1c0b9a8877".into(),
            app_secret: "0123456789abcdef0123456789abcdef".into(),
            token: DEMO_TOKEN.into(),
            encoding_aes_key: Some("kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR".into()),
            mode: "compatible".into(),
            welcome_text: Some(
                "欢迎关注小满咖啡 ☕ 回复「菜单」看今日推荐，回复「会员」了解会员卡。".into(),
            ),
        },
        &Actor::System,
    )
    .await
    .map_err(err)?;
    let replies: siyu_server::wechat::replies::RepliesConfig = serde_json::from_value(json!({
        "rules": [
            {"id": "hours", "priority": 10, "matcher": {"type": "contains", "value": ["营业时间", "几点开门", "几点关门"]}, "reply": {"type": "text", "value": "每天 8:00–22:00 营业，节假日照常。"}},
            {"id": "menu", "priority": 5, "matcher": {"type": "exact", "value": "菜单"}, "reply": {"type": "news", "value": {"title": "今日推荐：桂花拿铁", "description": "秋天限定，第二杯半价", "url": "https://example.com/menu", "pic_url": "https://example.com/latte.jpg"}}},
            {"id": "click-today", "matcher": {"type": "exact", "value": "TODAY"}, "reply": {"type": "text", "value": "今日推荐：桂花拿铁，第二杯半价。"}}
        ],
        "knowledge_base": [
            {"id": "member", "questions": ["会员卡怎么办理", "怎么成为会员", "会员有什么优惠"], "answer": {"type": "text", "value": "到店出示微信即可开通会员卡，消费 1 元积 1 分，满 100 分换一杯美式。"}},
            {"id": "delivery", "questions": ["可以送外卖吗", "有没有外卖", "能不能配送"], "answer": {"type": "text", "value": "3 公里内可以外卖，在美团或饿了么搜索「小满咖啡」。"}},
            {"id": "invoice", "questions": ["可以开发票吗", "怎么开发票"], "answer": {"type": "text", "value": "请把抬头和税号发给店员，我们当天开具电子发票。"}}
        ],
        "fallback": {"type": "text", "value": "收到～店员稍后回复您。"}
    }))
    .map_err(err)?;
    siyu_server::wechat::replies::save(state, tenant, &account.id, &replies, &Actor::System)
        .await
        .map_err(err)?;
    let menu: siyu_wechat::client::Menu = serde_json::from_value(json!({"button": [
        {"type": "click", "name": "今日推荐", "key": "TODAY"},
        {"name": "会员", "sub_button": [{"type": "view", "name": "会员卡", "url": "https://example.com/card"}, {"type": "click", "name": "我的积分", "key": "POINTS"}]},
        {"type": "view", "name": "门店", "url": "https://example.com/stores"}
    ]}))
    .map_err(err)?;
    siyu_server::wechat::menu::save(state, tenant, &account.id, &menu, &Actor::System)
        .await
        .map_err(err)?;
    siyu_server::wechat::sync::start(state, tenant, &account.id, &Actor::System)
        .await
        .map_err(err)?;
    let wang = siyu_store::staff::credentials(&state.store, "demo-clerk-wang")
        .await
        .map_err(err)?
        .map(|c| c.staff.id.to_string());
    let mut scenes = Vec::new();
    for (name, kind, cost) in [
        ("秋季海报", "poster", Some(20_000)),
        ("12 号桌", "table", None),
        ("咖啡豆包装", "package", Some(5_000)),
        ("导购小王", "associate", None),
    ] {
        let n = siyu_server::channels::NewChannel {
            name: name.into(),
            kind: kind.into(),
            account_id: None,
            cost_fen: cost,
            expires_in_days: None,
            // The associate's code is clerk Wang's own: the fans it brings are hers.
            staff_id: if kind == "associate" {
                wang.clone()
            } else {
                None
            },
        };
        let c = siyu_server::channels::create(state, tenant, n, &Actor::System)
            .await
            .map_err(err)?;
        scenes.push(c.scene);
    }
    Ok((account.id, scenes))
}

/// Fans arriving through the callback endpoint, as WeChat would deliver them.
async fn simulate_fans(base: &str, account: &str, scenes: &[String]) -> Result<(), String> {
    let http = reqwest::Client::new();
    let now = SystemClock.now_ms() / 1000;
    let questions = [
        "几点开门？",
        "会员卡怎么办理",
        "菜单",
        "可以送外卖吗",
        "你们的猫叫什么名字",
    ];
    let mut msg_id = now * 1000;
    for i in 0..40i64 {
        let openid = format!("oDemo{i:02}xiaoman{:012}", i * 7919);
        // Spread over the last 20 days so 7-day retention has something to show.
        let t = now - 12 * 3_600 * (40 - i);
        let scene = scenes.get(usize::try_from(i).unwrap_or(0) % (scenes.len() + 1));
        // Every fifth fan follows without a code (searching for the account).
        let key = scene.map(|s| format!("qrscene_{s}")).unwrap_or_default();
        let mut events = vec![format!(
            "<MsgType>event</MsgType><Event>subscribe</Event><EventKey>{key}</EventKey>"
        )];
        if i % 2 == 0 {
            msg_id += 1;
            events.push(format!(
                "<MsgType>text</MsgType><Content>{}</Content><MsgId>{msg_id}</MsgId>",
                questions[usize::try_from(i / 2).unwrap_or(0) % questions.len()]
            ));
        }
        if i % 3 == 0 {
            events.push(
                "<MsgType>event</MsgType><Event>CLICK</Event><EventKey>TODAY</EventKey>".into(),
            );
        }
        if i % 5 == 0 {
            events.push("<MsgType>event</MsgType><Event>LOCATION</Event><Latitude>31.820587</Latitude><Longitude>117.227239</Longitude><Precision>30</Precision>".into());
        }
        if i % 7 == 6 {
            events.push("<MsgType>event</MsgType><Event>unsubscribe</Event>".into());
        }
        for (k, body) in events.iter().enumerate() {
            let created = t + i64::try_from(k).unwrap_or(0) * 60;
            let xml = format!("<xml><ToUserName>gh_5f3e2d1c0b9a</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>{created}</CreateTime>{body}</xml>");
            let ts = (SystemClock.now_ms() / 1000).to_string();
            let sig = siyu_wechat::signature::url_signature(DEMO_TOKEN, &ts, "demo");
            let url = format!(
                "{base}/wechat/{account}?signature={sig}&timestamp={ts}&nonce=demo&openid={openid}"
            );
            let r = http.post(url).body(xml).send().await.map_err(err)?;
            if !r.status().is_success() {
                return Err(format!("demo callback refused: HTTP {}", r.status()));
            }
        }
    }
    Ok(())
}

/// Saved segments over the demo's fans, for the segment and push pages.
async fn seed_segments(
    state: &siyu_server::state::AppState,
    tenant: &TenantId,
) -> Result<(), String> {
    for (name, query) in [
        ("秋季海报粉丝", "channel(\"秋季海报\") and following()"),
        ("近 7 天活跃", "following() and active(within 7d)"),
        ("沉睡粉丝", "activity(dormant) or activity(lost)"),
    ] {
        let q = serde_json::Value::String(query.into());
        siyu_server::audience::segments::create(state, tenant, name, &q, &Actor::System)
            .await
            .map_err(err)?;
    }
    Ok(())
}

/// Runs the demo: migrate, seed, serve, print where to sign in.
pub async fn run(mut config: Config) -> Result<(), String> {
    // Without real credentials WeChat is out of reach: run the fake in-process instead.
    let fake = if config.wechat_api_base == REAL_WECHAT {
        let fake = siyu_fake_wechat::spawn(FakeConfig::default().with_followers(120)).await;
        config.wechat_api_base = fake.base_url().to_owned();
        Some(fake)
    } else {
        None
    };
    let store = open_store(&config, true).await.map_err(err)?;
    let password = random_password();
    let fresh = seed(&store, &password).await?;
    store.close().await;
    let app = Application::build(config, BuildOptions::default())
        .await
        .map_err(err)?;
    let state = app.state().clone();
    let base = format!("http://{}", app.local_addr());
    let account = match &fresh {
        Some(tenant) => Some(connect_account(&state, tenant).await?),
        None => None,
    };
    let server = tokio::spawn(app.run_until_stopped(shutdown_signal()));
    if let Some((account, scenes)) = &account {
        simulate_fans(&base, account, scenes).await?;
        if let Some(tenant) = &fresh {
            seed_segments(&state, tenant).await?;
        }
    }
    let public = state.config.public_url.clone().unwrap_or(base);
    println!("siyu demo is running — {DEMO_TENANT}");
    println!("  console:  {}/console", public.trim_end_matches('/'));
    println!("  login:    demo");
    println!("  password: {password}");
    println!("  database: {}", state.config.database_url);
    if let Some(f) = &fake {
        println!(
            "  WeChat:   a local fake at {} (set SIYU_WECHAT_API_BASE to use another)",
            f.base_url()
        );
    }
    println!("Press Ctrl-C to stop.");
    server.await.map_err(err)?.map_err(err)
}
