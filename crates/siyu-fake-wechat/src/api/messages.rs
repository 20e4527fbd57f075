//! Customer-service messages (WECHAT.md 2.6) and template messages (2.7).

use serde_json::{json, Value};

use super::{ok, str_field, Req};
use crate::errors::{
    fail, ApiError, ApiResult, EMPTY_CONTENT, INVALID_MESSAGE_TYPE, INVALID_TEMPLATE_ID,
    OUT_OF_WINDOW, RESPONSE_COUNT_LIMIT,
};
use crate::ids;
use crate::records::TemplateRecord;
use crate::state::World;

/// Customer-service messages are allowed within 48 h of the user's last interaction …
const WINDOW_SECS: i64 = 48 * 3600;
/// … and at most 20 of them until the user interacts again.
const DOWNLINK_MAX: u32 = 20;
/// Template `client_msg_id` dedupes for 10 minutes.
const TEMPLATE_DEDUPE_MS: i64 = 600_000;

const CUSTOM_TYPES: &[&str] = &[
    "text",
    "image",
    "voice",
    "video",
    "music",
    "news",
    "mpnews",
    "mpnewsarticle",
    "msgmenu",
    "wxcard",
    "miniprogrampage",
];

/// 40008 for an unknown `msgtype` or a missing `"<msgtype>": {…}` object, 44004 for empty text.
pub(crate) fn check_content(body: &Value, types: &[&str]) -> Result<(), ApiError> {
    let msgtype = str_field(body, "msgtype").unwrap_or_default();
    // Mass-send images use `"images": {"media_ids": …}`.
    let key = if msgtype == "image" && body.get("images").is_some() {
        "images"
    } else {
        msgtype
    };
    if !types.contains(&msgtype) || !body.get(key).is_some_and(Value::is_object) {
        return fail(INVALID_MESSAGE_TYPE);
    }
    if msgtype == "text" && str_field(&body["text"], "content").is_none_or(str::is_empty) {
        return fail(EMPTY_CONTENT);
    }
    Ok(())
}

/// `POST /cgi-bin/message/custom/send`: 40003 unknown user, 45015 outside the 48 h
/// window (see [`FakeWechat::touch`](crate::FakeWechat::touch)), 45047 after 20 messages.
pub(crate) fn custom_send(w: &mut World, r: &Req<'_>) -> ApiResult {
    let body = r.json()?;
    let touser = str_field(&body, "touser").unwrap_or_default();
    w.require_known(touser)?;
    check_content(&body, CUSTOM_TYPES)?;
    if !w.config.open_service_window {
        let now = r.now_secs();
        let Some(window) = w
            .interactions
            .get_mut(touser)
            .filter(|i| now - i.last_secs <= WINDOW_SECS)
        else {
            return fail(OUT_OF_WINDOW);
        };
        if window.sent_since >= DOWNLINK_MAX {
            return fail(RESPONSE_COUNT_LIMIT);
        }
        window.sent_since += 1;
    }
    w.records.custom.push(body);
    Ok(ok())
}

/// `POST /cgi-bin/message/template/send` → `{"errcode":0,"errmsg":"ok","msgid":…}`.
/// A repeated `client_msg_id` for the same user within 10 min returns the first msgid.
pub(crate) fn template_send(w: &mut World, r: &Req<'_>) -> ApiResult {
    let body = r.json()?;
    let touser = str_field(&body, "touser").unwrap_or_default().to_owned();
    w.require_known(&touser)?;
    let template_id = str_field(&body, "template_id").unwrap_or_default();
    let templates = &w.config.templates;
    if template_id.is_empty()
        || (!templates.is_empty() && !templates.iter().any(|t| t == template_id))
    {
        return fail(INVALID_TEMPLATE_ID);
    }
    let dedupe_key = str_field(&body, "client_msg_id").map(|c| (touser, c.to_owned()));
    if let Some(key) = &dedupe_key {
        if let Some((msgid, at)) = w.template_client_ids.get(key) {
            if r.now_ms - at < TEMPLATE_DEDUPE_MS {
                return Ok(json!({"errcode": 0, "errmsg": "ok", "msgid": msgid}));
            }
        }
    }
    let msgid = ids::message_id(&mut w.rng);
    if let Some(key) = dedupe_key {
        w.template_client_ids.insert(key, (msgid, r.now_ms));
    }
    w.records.templates.push(TemplateRecord { msgid, body });
    Ok(json!({"errcode": 0, "errmsg": "ok", "msgid": msgid}))
}
