//! Mass send by tag (`sendall`) or OpenID list (`send`), WECHAT.md 2.5: `clientmsgid`
//! dedupe (45065) and a monthly quota (45028).

use serde_json::{json, Value};

use super::messages::check_content;
use super::{int_field, str_field, Req};
use crate::errors::{
    fail, ApiError, ApiResult, CLIENTMSGID_EXIST, INVALID_ARGS, MASS_OPENID_LIST_SIZE,
    NO_MASS_QUOTA,
};
use crate::ids;
use crate::records::MassRecord;
use crate::state::World;

/// Mass send to a tag or to everyone.
pub(crate) const SENDALL_PATH: &str = "/cgi-bin/message/mass/sendall";
/// Mass send to an OpenID list.
pub(crate) const SEND_PATH: &str = "/cgi-bin/message/mass/send";

const MASS_TYPES: &[&str] = &[
    "text", "mpnews", "voice", "image", "mpvideo", "wxcard", "music",
];
const TOUSER_MAX: usize = 10_000;
const BEIJING_OFFSET_SECS: i64 = 8 * 3600;

/// `year * 12 + month0` of a unix time in Beijing time (the quota's calendar month).
pub(crate) fn month_key(unix_secs: i64) -> i64 {
    // Howard Hinnant's civil_from_days.
    let z = (unix_secs + BEIJING_OFFSET_SECS).div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    year * 12 + month - 1
}

/// `POST /cgi-bin/message/mass/sendall {"filter":{"is_to_all":…,"tag_id":…},"msgtype":…}`.
pub(crate) fn sendall(w: &mut World, r: &Req<'_>) -> ApiResult {
    let body = r.json()?;
    let Some(filter) = body.get("filter").filter(|f| f.is_object()) else {
        return fail(INVALID_ARGS);
    };
    if filter.get("is_to_all") != Some(&Value::Bool(true)) {
        w.tags.existing(int_field(filter, "tag_id"))?;
    }
    check_content(&body, MASS_TYPES)?;
    submit(w, r, SENDALL_PATH, body)
}

/// `POST /cgi-bin/message/mass/send {"touser":[…2..=10000],"msgtype":…}`.
pub(crate) fn send(w: &mut World, r: &Req<'_>) -> ApiResult {
    let body = r.json()?;
    let list = body
        .get("touser")
        .and_then(Value::as_array)
        .filter(|l| (2..=TOUSER_MAX).contains(&l.len()))
        .ok_or_else(|| ApiError::new(MASS_OPENID_LIST_SIZE))?;
    for openid in list {
        w.require_known(openid.as_str().unwrap_or_default())?;
    }
    check_content(&body, MASS_TYPES)?;
    submit(w, r, SEND_PATH, body)
}

fn submit(w: &mut World, r: &Req<'_>, path: &str, body: Value) -> ApiResult {
    let client_id = str_field(&body, "clientmsgid").map(str::to_owned);
    if let Some(msg_id) = client_id.as_ref().and_then(|c| w.mass_client_ids.get(c)) {
        return Ok(
            json!({"errcode": CLIENTMSGID_EXIST, "errmsg": "clientmsgid exist", "msg_id": msg_id}),
        );
    }
    let month = month_key(r.now_secs());
    let used = w.mass_months.iter().filter(|m| **m == month).count();
    if used >= usize::try_from(w.config.mass_monthly_quota).unwrap_or(usize::MAX) {
        return fail(NO_MASS_QUOTA);
    }
    let msg_id = ids::message_id(&mut w.rng);
    let msg_data_id = ids::message_id(&mut w.rng);
    w.mass_months.push(month);
    if let Some(c) = client_id {
        w.mass_client_ids.insert(c, msg_id);
    }
    w.records.mass.push(MassRecord {
        path: path.to_owned(),
        msg_id,
        msg_data_id,
        body,
    });
    Ok(json!({
        "errcode": 0,
        "errmsg": "send job submission success",
        "msg_id": msg_id,
        "msg_data_id": msg_data_id,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_in_beijing_time() {
        // 2024-01-31T16:00:00Z is 2024-02-01 00:00 in Beijing.
        assert_eq!(month_key(1_706_716_800), 2024 * 12 + 1);
        assert_eq!(month_key(1_706_716_799), 2024 * 12);
        // 2023-12-31T15:59:59Z is still December in Beijing.
        assert_eq!(month_key(1_704_038_399), 2023 * 12 + 11);
        assert_eq!(month_key(1_704_038_400), 2024 * 12);
    }
}
