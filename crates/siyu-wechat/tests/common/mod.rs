//! A tiny in-process fake of api.weixin.qq.com speaking WeChat JSON and error codes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Multipart, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use siyu_wechat::client::{ClientConfig, RetryPolicy, WechatClient};

pub const APP_ID: &str = "wxfake0000000001";
pub const SECRET: &str = "fake-app-secret-do-not-log";
pub const FOLLOWERS: usize = 25;
const PAGE: usize = 10;

#[derive(Default)]
pub struct FakeState {
    /// Number of `stable_token` calls.
    pub token_fetches: AtomicUsize,
    /// The token the server currently accepts.
    pub current: Mutex<String>,
    /// When set, every token is rejected with 40001.
    pub reject_all_tokens: AtomicBool,
    /// Remaining `-1` answers per path.
    pub busy: Mutex<HashMap<String, usize>>,
    /// Every API call: (path, access_token, JSON body or Null).
    pub calls: Mutex<Vec<(String, String, Value)>>,
    /// Stored menu.
    pub menu: Mutex<Option<Value>>,
}

impl FakeState {
    /// Server-side invalidation: the token clients hold now gets 40001.
    pub fn revoke_token(&self) {
        *self.current.lock().unwrap() = "REVOKED".into();
    }

    pub fn set_busy(&self, path: &str, times: usize) {
        self.busy.lock().unwrap().insert(path.into(), times);
    }

    pub fn calls_to(&self, path: &str) -> Vec<(String, Value)> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _, _)| p == path)
            .map(|(_, t, b)| (t.clone(), b.clone()))
            .collect()
    }

    /// Records the call and returns an error body when the token is bad or the path is busy.
    fn gate(&self, path: &str, q: &HashMap<String, String>, body: Value) -> Option<Value> {
        let token = q.get("access_token").cloned().unwrap_or_default();
        self.calls
            .lock()
            .unwrap()
            .push((path.into(), token.clone(), body));
        if self.reject_all_tokens.load(Ordering::SeqCst) || token != *self.current.lock().unwrap() {
            return Some(
                json!({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}),
            );
        }
        let mut busy = self.busy.lock().unwrap();
        if let Some(n) = busy.get_mut(path).filter(|n| **n > 0) {
            *n -= 1;
            return Some(json!({"errcode": -1, "errmsg": "system error"}));
        }
        None
    }
}

type S = State<Arc<FakeState>>;
type Q = Query<HashMap<String, String>>;

async fn stable_token(State(s): S, Json(body): Json<Value>) -> Json<Value> {
    if body["appid"] != APP_ID
        || body["secret"] != SECRET
        || body["grant_type"] != "client_credential"
    {
        return Json(json!({"errcode": 40125, "errmsg": "invalid appsecret"}));
    }
    let n = s.token_fetches.fetch_add(1, Ordering::SeqCst) + 1;
    // Slow enough that concurrent callers pile up behind the first fetch.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let token = format!("TOKEN_{n}");
    *s.current.lock().unwrap() = token.clone();
    Json(json!({"access_token": token, "expires_in": 7200}))
}

async fn user_info(State(s): S, Query(q): Q) -> Json<Value> {
    if let Some(e) = s.gate("/cgi-bin/user/info", &q, Value::Null) {
        return Json(e);
    }
    let openid = q.get("openid").cloned().unwrap_or_default();
    if !openid.starts_with('o') {
        return Json(json!({"errcode": 40003, "errmsg": "invalid openid"}));
    }
    Json(json!({
        "subscribe": 1, "openid": openid, "language": q.get("lang"), "subscribe_time": 1_700_000_000,
        "remark": "", "groupid": 0, "tagid_list": [2, 134], "subscribe_scene": "ADD_SCENE_QR_CODE",
        "qr_scene": 0, "qr_scene_str": "campaign_42"
    }))
}

async fn user_get(State(s): S, Query(q): Q) -> Json<Value> {
    if let Some(e) = s.gate("/cgi-bin/user/get", &q, Value::Null) {
        return Json(e);
    }
    let all: Vec<String> = (0..FOLLOWERS).map(|i| format!("o{i:02}")).collect();
    let start = match q.get("next_openid").filter(|n| !n.is_empty()) {
        Some(n) => all.iter().position(|o| o == n).map_or(all.len(), |p| p + 1),
        None => 0,
    };
    let page: Vec<&String> = all.iter().skip(start).take(PAGE).collect();
    if page.is_empty() {
        // Like WeChat: last page has count 0, no data, but still a next_openid.
        return Json(json!({"total": FOLLOWERS, "count": 0, "next_openid": all.last()}));
    }
    Json(
        json!({"total": FOLLOWERS, "count": page.len(), "data": {"openid": page}, "next_openid": page.last()}),
    )
}

async fn tags_get(State(s): S, Query(q): Q) -> Json<Value> {
    if let Some(e) = s.gate("/cgi-bin/tags/get", &q, Value::Null) {
        return Json(e);
    }
    Json(
        json!({"tags": [{"id": 2, "name": "星标组", "count": 0}, {"id": 134, "name": "广东", "count": 3}]}),
    )
}

async fn tags_create(State(s): S, Query(q): Q, Json(b): Json<Value>) -> Json<Value> {
    if let Some(e) = s.gate("/cgi-bin/tags/create", &q, b.clone()) {
        return Json(e);
    }
    Json(json!({"tag": {"id": 134, "name": b["tag"]["name"]}}))
}

async fn record_ok(
    path: &'static str,
    s: Arc<FakeState>,
    q: HashMap<String, String>,
    b: Value,
    ok: Value,
) -> Json<Value> {
    Json(s.gate(path, &q, b).unwrap_or(ok))
}

async fn menu_get(State(s): S, Query(q): Q) -> Json<Value> {
    if let Some(e) = s.gate("/cgi-bin/menu/get", &q, Value::Null) {
        return Json(e);
    }
    match s.menu.lock().unwrap().clone() {
        Some(m) => Json(json!({"menu": m})),
        None => Json(json!({"errcode": 46003, "errmsg": "menu no exist"})),
    }
}

async fn upload(State(s): S, Query(q): Q, mut form: Multipart) -> Json<Value> {
    let mut info = json!({});
    while let Ok(Some(field)) = form.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let file = field.file_name().unwrap_or_default().to_owned();
        let ctype = field.content_type().unwrap_or_default().to_owned();
        let len = field.bytes().await.map(|b| b.len()).unwrap_or(0);
        info = json!({"field": name, "filename": file, "content_type": ctype, "len": len});
    }
    if let Some(e) = s.gate("/cgi-bin/media/upload", &q, info.clone()) {
        return Json(e);
    }
    let kind = q.get("type").cloned().unwrap_or_default();
    Json(
        json!({"type": kind, "media_id": format!("MEDIA_{}", info["len"]), "created_at": 1_700_000_000}),
    )
}

fn ok() -> Value {
    json!({"errcode": 0, "errmsg": "ok"})
}

macro_rules! ack {
    ($path:literal, $ok:expr) => {
        post(
            |State(s): S, Query(q): Q, Json(b): Json<Value>| async move {
                record_ok($path, s, q, b, $ok).await
            },
        )
    };
}

pub struct Fake {
    pub base_url: String,
    pub state: Arc<FakeState>,
}

impl Fake {
    pub async fn start() -> Fake {
        let state = Arc::new(FakeState::default());
        let app = Router::new()
            .route("/cgi-bin/stable_token", post(stable_token))
            .route("/cgi-bin/user/info", get(user_info))
            .route("/cgi-bin/user/get", get(user_get))
            .route("/cgi-bin/tags/get", get(tags_get))
            .route("/cgi-bin/tags/create", post(tags_create))
            .route("/cgi-bin/tags/members/batchtagging", ack!("/cgi-bin/tags/members/batchtagging", ok()))
            .route("/cgi-bin/message/custom/send", ack!("/cgi-bin/message/custom/send", ok()))
            .route(
                "/cgi-bin/message/template/send",
                ack!("/cgi-bin/message/template/send", json!({"errcode": 0, "errmsg": "ok", "msgid": 200228332})),
            )
            .route(
                "/cgi-bin/message/mass/sendall",
                ack!(
                    "/cgi-bin/message/mass/sendall",
                    json!({"errcode": 0, "errmsg": "send job submission success", "msg_id": 3147494276u64, "msg_data_id": 2455891298u64})
                ),
            )
            .route(
                "/cgi-bin/message/mass/send",
                ack!("/cgi-bin/message/mass/send", json!({"errcode": 45065, "errmsg": "clientmsgid exist", "msg_id": 1000001625}))
            )
            .route(
                "/cgi-bin/qrcode/create",
                ack!(
                    "/cgi-bin/qrcode/create",
                    json!({"ticket": "gQH47joAAAAAAAAAASxod+/=", "expire_seconds": 60, "url": "http://weixin.qq.com/q/kZgfwMTm72WWPkovabbI"})
                ),
            )
            .route(
                "/cgi-bin/menu/create",
                post(|State(s): S, Query(q): Q, Json(b): Json<Value>| async move {
                    let r = s.gate("/cgi-bin/menu/create", &q, b.clone());
                    if r.is_none() {
                        *s.menu.lock().unwrap() = Some(b);
                    }
                    Json(r.unwrap_or(json!({"errcode": 0, "errmsg": "ok"})))
                }),
            )
            .route("/cgi-bin/menu/get", get(menu_get))
            .route(
                "/cgi-bin/menu/delete",
                get(|State(s): S, Query(q): Q| async move {
                    let r = s.gate("/cgi-bin/menu/delete", &q, Value::Null);
                    if r.is_none() {
                        *s.menu.lock().unwrap() = None;
                    }
                    Json(r.unwrap_or(json!({"errcode": 0, "errmsg": "ok"})))
                }),
            )
            .route("/cgi-bin/media/upload", post(upload))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Fake {
            base_url: format!("http://{addr}"),
            state,
        }
    }

    pub fn config(&self) -> ClientConfig {
        ClientConfig::new(APP_ID, SECRET)
            .with_base_url(&self.base_url)
            .with_retry(RetryPolicy {
                max_retries: 3,
                base_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(50),
            })
    }

    pub fn client(&self) -> WechatClient {
        WechatClient::new(self.config()).unwrap()
    }

    pub fn fetches(&self) -> usize {
        self.state.token_fetches.load(Ordering::SeqCst)
    }
}
