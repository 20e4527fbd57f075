//! Users: `user/info`, `user/info/batchget` and follower paging with `user/get`
//! (WECHAT.md 2.3).

use serde_json::{json, Value};

use super::{openid_page, str_field, Req};
use crate::errors::{fail, ApiError, ApiResult, INVALID_OPENID_LIST_SIZE, OPENID_MISSING};
use crate::state::World;

/// Maximum OpenIDs per `batchget`.
const BATCH_MAX: usize = 100;

fn info_json(w: &World, openid: &str) -> Result<Value, ApiError> {
    let follower = w.follower(openid)?;
    let tags = w.tags.ids_of(openid);
    Ok(follower.info_json(&tags, w.config.legacy_profile))
}

/// `GET /cgi-bin/user/info?openid=…&lang=…`.
pub(crate) fn info(w: &mut World, r: &Req<'_>) -> ApiResult {
    let Some(openid) = r.query("openid").filter(|o| !o.is_empty()) else {
        return fail(OPENID_MISSING);
    };
    info_json(w, openid)
}

/// `POST /cgi-bin/user/info/batchget {"user_list":[{"openid":…,"lang":…}]}` (1..=100).
pub(crate) fn batchget(w: &mut World, r: &Req<'_>) -> ApiResult {
    let body = r.json()?;
    let list = body
        .get("user_list")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty() && l.len() <= BATCH_MAX)
        .ok_or_else(|| ApiError::new(INVALID_OPENID_LIST_SIZE))?;
    let infos = list
        .iter()
        .map(|item| info_json(w, str_field(item, "openid").unwrap_or_default()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "user_info_list": infos }))
}

/// `GET /cgi-bin/user/get?next_openid=…`: pages of `page_size` (10,000) in subscribe
/// order; after the last OpenID a page with `count: 0`, no `data`, and `next_openid` set.
pub(crate) fn list(w: &mut World, r: &Req<'_>) -> ApiResult {
    let all = w.followers.list.iter().map(|f| f.openid.as_str());
    let (mut page, total) = openid_page(
        all,
        r.query("next_openid"),
        |o| w.followers.position(o),
        w.config.page_size,
    )?;
    page["total"] = json!(total);
    Ok(page)
}
