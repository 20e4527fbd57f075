//! Parametric QR codes, `POST /cgi-bin/qrcode/create` (WECHAT.md 2.2).

use serde_json::{json, Value};

use super::{int_field, str_field, Req};
use crate::errors::{
    fail, ApiError, ApiResult, INVALID_ACTION_INFO, INVALID_ACTION_NAME, INVALID_ARGS,
};
use crate::ids;
use crate::records::QrRecord;
use crate::state::World;

/// Longest lifetime of a temporary code (30 days).
const MAX_EXPIRE_SECONDS: i64 = 2_592_000;
/// Lifetime when `expire_seconds` is omitted.
const DEFAULT_EXPIRE_SECONDS: u32 = 60;
/// Permanent numeric scenes are 1..=100000.
const PERMANENT_SCENE_ID_MAX: i64 = 100_000;
/// `scene_str` is 1..=64 characters.
const SCENE_STR_MAX: usize = 64;

/// `scene_id` (numeric kinds) or `scene_str`, validated: 40053 when out of range.
fn scene(
    body: &Value,
    numeric: bool,
    permanent: bool,
) -> Result<(Option<u32>, Option<String>), ApiError> {
    let scene = &body["action_info"]["scene"];
    if numeric {
        let max = if permanent {
            PERMANENT_SCENE_ID_MAX
        } else {
            i64::from(u32::MAX)
        };
        let id = int_field(scene, "scene_id")
            .filter(|id| (1..=max).contains(id))
            .and_then(|id| u32::try_from(id).ok())
            .ok_or_else(|| ApiError::new(INVALID_ACTION_INFO))?;
        return Ok((Some(id), None));
    }
    let s = str_field(scene, "scene_str")
        .filter(|s| (1..=SCENE_STR_MAX).contains(&s.chars().count()))
        .ok_or_else(|| ApiError::new(INVALID_ACTION_INFO))?;
    Ok((None, Some(s.to_owned())))
}

fn answer(rec: &QrRecord) -> Value {
    let mut v = json!({"ticket": rec.ticket, "url": rec.url});
    if let Some(e) = rec.expire_seconds {
        v["expire_seconds"] = json!(e);
    }
    v
}

/// `POST /cgi-bin/qrcode/create` → `{"ticket","expire_seconds"(temporary),"url"}`.
/// A permanent scene always answers the same ticket and URL.
pub(crate) fn create(w: &mut World, r: &Req<'_>) -> ApiResult {
    let body = r.json()?;
    let action = str_field(&body, "action_name").unwrap_or_default();
    let (permanent, numeric) = match action {
        "QR_SCENE" => (false, true),
        "QR_STR_SCENE" => (false, false),
        "QR_LIMIT_SCENE" => (true, true),
        "QR_LIMIT_STR_SCENE" => (true, false),
        _ => return fail(INVALID_ACTION_NAME),
    };
    let (scene_id, scene_str) = scene(&body, numeric, permanent)?;
    let expire_seconds = if permanent {
        None
    } else {
        match int_field(&body, "expire_seconds") {
            None | Some(0) => Some(DEFAULT_EXPIRE_SECONDS),
            Some(s) if (1..=MAX_EXPIRE_SECONDS).contains(&s) => u32::try_from(s).ok(),
            Some(_) => return fail(INVALID_ARGS),
        }
    };
    let key = match (&scene_id, &scene_str) {
        (Some(id), _) => format!("id:{id}"),
        (None, s) => format!("str:{}", s.as_deref().unwrap_or_default()),
    };
    if permanent {
        if let Some(rec) = w
            .permanent_qr
            .get(&key)
            .and_then(|i| w.records.qrcodes.get(*i))
        {
            return Ok(answer(rec));
        }
    }
    let created_at = r.now_secs();
    let url = ids::qr_url(&mut w.rng);
    let rec = QrRecord {
        action_name: action.to_owned(),
        scene_id,
        scene_str,
        expire_seconds,
        ticket: ids::qr_ticket(&url, created_at, expire_seconds.unwrap_or(0)),
        url,
        created_at,
    };
    let out = answer(&rec);
    if permanent {
        w.permanent_qr.insert(key, w.records.qrcodes.len());
    }
    w.records.qrcodes.push(rec);
    Ok(out)
}
