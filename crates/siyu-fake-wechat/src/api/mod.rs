//! The faked APIs: the route table and what handlers see of a request.

pub(crate) mod mass;
pub(crate) mod media;
pub(crate) mod menu;
pub(crate) mod messages;
pub(crate) mod qrcode;
pub(crate) mod tags;
pub(crate) mod token;
pub(crate) mod users;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::Method;
use serde_json::{json, Value};

use crate::errors::{
    fail, ApiError, ApiResult, DATA_FORMAT_ERROR, EMPTY_POST_DATA, REQUIRE_GET, REQUIRE_POST,
};
use crate::state::World;

/// One multipart part.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub(crate) name: String,
    pub(crate) filename: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) bytes: Bytes,
}

/// A request body as read by the server.
#[derive(Debug, Clone)]
pub(crate) enum ReqBody {
    /// Raw bytes (JSON endpoints parse them on demand).
    Bytes(Bytes),
    /// A multipart form (`None` when it could not be parsed).
    Multipart(Option<Vec<Part>>),
}

/// What a handler sees of a request.
#[derive(Debug)]
pub(crate) struct Req<'a> {
    pub(crate) method: &'a Method,
    pub(crate) query: &'a HashMap<String, String>,
    pub(crate) body: &'a ReqBody,
    pub(crate) now_ms: i64,
}

impl Req<'_> {
    /// A query parameter.
    pub(crate) fn query(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(String::as_str)
    }

    /// The body as JSON: 44002 when empty, 47001 when malformed.
    pub(crate) fn json(&self) -> Result<Value, ApiError> {
        let bytes = match self.body {
            ReqBody::Bytes(b) => b,
            ReqBody::Multipart(_) => return fail(DATA_FORMAT_ERROR),
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return fail(EMPTY_POST_DATA);
        }
        serde_json::from_slice(bytes).map_err(|_| ApiError::new(DATA_FORMAT_ERROR))
    }

    /// Current fake time in unix seconds.
    pub(crate) fn now_secs(&self) -> i64 {
        self.now_ms.div_euclid(1000)
    }
}

/// Which HTTP methods an API accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Get,
    Post,
    Any,
}

impl Verb {
    /// 43001 / 43002 for the wrong method.
    pub(crate) fn check(self, method: &Method) -> Result<(), ApiError> {
        match self {
            Verb::Get if method != Method::GET => fail(REQUIRE_GET),
            Verb::Post if method != Method::POST => fail(REQUIRE_POST),
            _ => Ok(()),
        }
    }
}

/// A handler: runs under the state lock after the access-token check.
pub(crate) type Handler = fn(&mut World, &Req<'_>) -> ApiResult;

/// One faked API.
pub(crate) struct Route {
    pub(crate) path: &'static str,
    pub(crate) verb: Verb,
    /// Whether `access_token` is required (all but the token endpoints).
    pub(crate) auth: bool,
    pub(crate) handler: Handler,
}

const fn api(path: &'static str, verb: Verb, handler: Handler) -> Route {
    Route {
        path,
        verb,
        auth: true,
        handler,
    }
}

/// Every faked path.
pub(crate) const ROUTES: &[Route] = &[
    Route {
        path: token::CLASSIC_PATH,
        verb: Verb::Get,
        auth: false,
        handler: token::classic,
    },
    Route {
        path: token::STABLE_PATH,
        verb: Verb::Post,
        auth: false,
        handler: token::stable,
    },
    api("/cgi-bin/user/info", Verb::Get, users::info),
    api("/cgi-bin/user/info/batchget", Verb::Post, users::batchget),
    api("/cgi-bin/user/get", Verb::Get, users::list),
    api("/cgi-bin/user/tag/get", Verb::Post, tags::members),
    api("/cgi-bin/tags/create", Verb::Post, tags::create),
    api("/cgi-bin/tags/get", Verb::Any, tags::list),
    api("/cgi-bin/tags/update", Verb::Post, tags::update),
    api("/cgi-bin/tags/delete", Verb::Post, tags::delete),
    api(
        "/cgi-bin/tags/members/batchtagging",
        Verb::Post,
        tags::batch_tag,
    ),
    api(
        "/cgi-bin/tags/members/batchuntagging",
        Verb::Post,
        tags::batch_untag,
    ),
    api("/cgi-bin/tags/getidlist", Verb::Post, tags::id_list),
    api("/cgi-bin/menu/create", Verb::Post, menu::create),
    api("/cgi-bin/menu/get", Verb::Get, menu::get),
    api(
        "/cgi-bin/get_current_selfmenu_info",
        Verb::Get,
        menu::selfmenu_info,
    ),
    api("/cgi-bin/menu/delete", Verb::Get, menu::delete),
    api(
        "/cgi-bin/message/custom/send",
        Verb::Post,
        messages::custom_send,
    ),
    api(
        "/cgi-bin/message/template/send",
        Verb::Post,
        messages::template_send,
    ),
    api(mass::SENDALL_PATH, Verb::Post, mass::sendall),
    api(mass::SEND_PATH, Verb::Post, mass::send),
    api("/cgi-bin/qrcode/create", Verb::Post, qrcode::create),
    api("/cgi-bin/media/upload", Verb::Post, media::upload),
];

/// The route for `path`.
pub(crate) fn find(path: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.path == path)
}

/// `{"errcode":0,"errmsg":"ok"}`.
pub(crate) fn ok() -> Value {
    json!({"errcode": 0, "errmsg": "ok"})
}

/// A string field.
pub(crate) fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// An integer field, accepting numbers and numeric strings like WeChat does.
pub(crate) fn int_field(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// One page of OpenIDs in the `user/get` shape. The page after the last one has
/// `count: 0`, no `data`, and still carries `next_openid` (WECHAT.md 2.3).
pub(crate) fn openid_page<'a>(
    all: impl ExactSizeIterator<Item = &'a str> + Clone,
    next_openid: Option<&str>,
    position: impl Fn(&str) -> Option<usize>,
    page_size: usize,
) -> Result<(Value, usize), ApiError> {
    let total = all.len();
    let start = match next_openid.filter(|n| !n.is_empty()) {
        None => 0,
        Some(n) => position(n).ok_or_else(|| ApiError::new(crate::errors::INVALID_OPENID))? + 1,
    };
    let page: Vec<&str> = all.clone().skip(start).take(page_size).collect();
    let body = match page.last() {
        Some(last) => json!({"count": page.len(), "data": {"openid": page}, "next_openid": last}),
        None => json!({"count": 0, "next_openid": all.last().unwrap_or_default()}),
    };
    Ok((body, total))
}
