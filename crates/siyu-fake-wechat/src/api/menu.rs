//! Custom menu (WECHAT.md 2.8): create with WeChat's validation, get (both the classic
//! `menu/get` and `get_current_selfmenu_info` shapes) and delete.

use serde_json::{json, Value};

use super::{ok, str_field, Req};
use crate::errors::{
    fail, ApiError, ApiResult, INVALID_BUTTON_KEY_SIZE, INVALID_BUTTON_NAME_SIZE,
    INVALID_BUTTON_SIZE, INVALID_BUTTON_TYPE, INVALID_BUTTON_URL_SIZE, INVALID_SUB_BUTTON_KEY_SIZE,
    INVALID_SUB_BUTTON_LEVEL, INVALID_SUB_BUTTON_NAME_SIZE, INVALID_SUB_BUTTON_SIZE,
    INVALID_SUB_BUTTON_TYPE, INVALID_SUB_BUTTON_URL_SIZE, MENU_NOT_EXIST,
};
use crate::state::World;

const TYPES: &[&str] = &[
    "click",
    "view",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
    "media_id",
    "view_limited",
    "article_id",
    "article_view_limited",
    "miniprogram",
];
/// Types that need a `key`.
const KEY_TYPES: &[&str] = &[
    "click",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
];
/// Types that need a `url`.
const URL_TYPES: &[&str] = &["view", "miniprogram"];
const KEY_MAX: usize = 128;
const URL_MAX: usize = 1024;

/// errcodes and name limit for one menu level.
struct Level {
    name_max: usize,
    name: i64,
    kind: i64,
    key: i64,
    url: i64,
}

const TOP: Level = Level {
    name_max: 16,
    name: INVALID_BUTTON_NAME_SIZE,
    kind: INVALID_BUTTON_TYPE,
    key: INVALID_BUTTON_KEY_SIZE,
    url: INVALID_BUTTON_URL_SIZE,
};
const SUB: Level = Level {
    name_max: 60,
    name: INVALID_SUB_BUTTON_NAME_SIZE,
    kind: INVALID_SUB_BUTTON_TYPE,
    key: INVALID_SUB_BUTTON_KEY_SIZE,
    url: INVALID_SUB_BUTTON_URL_SIZE,
};

fn sub_buttons(b: &Value) -> &[Value] {
    b.get("sub_button")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn check_name(b: &Value, level: &Level) -> Result<(), ApiError> {
    let name = str_field(b, "name").unwrap_or_default();
    if name.is_empty() || name.len() > level.name_max {
        return fail(level.name);
    }
    Ok(())
}

/// Checks an action button and returns it with `"sub_button": []` as WeChat echoes it.
fn leaf(b: &Value, level: &Level) -> Result<Value, ApiError> {
    check_name(b, level)?;
    let kind = str_field(b, "type").unwrap_or_default();
    if !TYPES.contains(&kind) {
        return fail(level.kind);
    }
    let key = str_field(b, "key");
    if key.is_some_and(|k| k.len() > KEY_MAX)
        || (KEY_TYPES.contains(&kind) && key.is_none_or(str::is_empty))
    {
        return fail(level.key);
    }
    let url = str_field(b, "url");
    if url.is_some_and(|u| u.len() > URL_MAX)
        || (URL_TYPES.contains(&kind) && url.is_none_or(str::is_empty))
    {
        return fail(level.url);
    }
    let mut out = b.clone();
    out["sub_button"] = json!([]);
    Ok(out)
}

/// Validates a menu (≤ 3 buttons, ≤ 5 sub-buttons, names ≤ 16 / 60 bytes, keys ≤ 128 and
/// urls ≤ 1024 bytes) and returns it normalized.
fn validate(menu: &Value) -> Result<Value, ApiError> {
    let buttons = menu
        .get("button")
        .and_then(Value::as_array)
        .filter(|b| (1..=3).contains(&b.len()))
        .ok_or_else(|| ApiError::new(INVALID_BUTTON_SIZE))?;
    let mut out = Vec::with_capacity(buttons.len());
    for b in buttons {
        let subs = sub_buttons(b);
        if subs.is_empty() {
            out.push(leaf(b, &TOP)?);
            continue;
        }
        check_name(b, &TOP)?;
        if subs.len() > 5 {
            return fail(INVALID_SUB_BUTTON_SIZE);
        }
        let mut children = Vec::with_capacity(subs.len());
        for s in subs {
            if !sub_buttons(s).is_empty() {
                return fail(INVALID_SUB_BUTTON_LEVEL);
            }
            children.push(leaf(s, &SUB)?);
        }
        out.push(json!({"name": b["name"], "sub_button": children}));
    }
    Ok(json!({ "button": out }))
}

/// `POST /cgi-bin/menu/create` (replaces the menu).
pub(crate) fn create(w: &mut World, r: &Req<'_>) -> ApiResult {
    let menu = validate(&r.json()?)?;
    w.menu = Some(menu);
    Ok(ok())
}

/// `GET /cgi-bin/menu/get` → `{"menu":{"button":[…]}}`, 46003 when none.
pub(crate) fn get(w: &mut World, _: &Req<'_>) -> ApiResult {
    match &w.menu {
        Some(menu) => Ok(json!({ "menu": menu })),
        None => fail(MENU_NOT_EXIST),
    }
}

/// `GET /cgi-bin/get_current_selfmenu_info`: groups as `"sub_button":{"list":[…]}`.
pub(crate) fn selfmenu_info(w: &mut World, _: &Req<'_>) -> ApiResult {
    let Some(menu) = &w.menu else {
        return Ok(json!({"is_menu_open": 0, "selfmenu_info": {"button": []}}));
    };
    let strip = |b: &Value| {
        let mut b = b.clone();
        if let Some(o) = b.as_object_mut() {
            o.remove("sub_button");
        }
        b
    };
    let buttons: Vec<Value> = menu["button"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .map(|b| match sub_buttons(b) {
            [] => strip(b),
            subs => json!({
                "name": b["name"],
                "sub_button": {"list": subs.iter().map(strip).collect::<Vec<_>>()},
            }),
        })
        .collect();
    Ok(json!({"is_menu_open": 1, "selfmenu_info": {"button": buttons}}))
}

/// `GET /cgi-bin/menu/delete`.
pub(crate) fn delete(w: &mut World, _: &Req<'_>) -> ApiResult {
    w.menu = None;
    Ok(ok())
}
