//! WeChat error codes and their `errmsg` texts (WECHAT.md 2.0 and the official global return
//! codes). Every error is answered with HTTP 200 and `{"errcode": …, "errmsg": …}`.

use serde_json::{json, Value};

/// System busy; clients should back off and retry.
pub const SYSTEM_BUSY: i64 = -1;
/// access_token invalid or not the latest.
pub const INVALID_CREDENTIAL: i64 = 40001;
/// `grant_type` is not `client_credential`.
pub const INVALID_GRANT_TYPE: i64 = 40002;
/// Unknown OpenID (not following, or another account's).
pub const INVALID_OPENID: i64 = 40003;
/// Invalid media `type`.
pub const INVALID_MEDIA_TYPE: i64 = 40004;
/// File type does not match the media type.
pub const INVALID_FILE_TYPE: i64 = 40005;
/// Invalid message type.
pub const INVALID_MESSAGE_TYPE: i64 = 40008;
/// Image too large.
pub const INVALID_IMAGE_SIZE: i64 = 40009;
/// Voice too large.
pub const INVALID_VOICE_SIZE: i64 = 40010;
/// Video too large.
pub const INVALID_VIDEO_SIZE: i64 = 40011;
/// Thumbnail too large.
pub const INVALID_THUMB_SIZE: i64 = 40012;
/// AppID does not match the configured one.
pub const INVALID_APPID: i64 = 40013;
/// Menu: top-level button count not in 1..=3.
pub const INVALID_BUTTON_SIZE: i64 = 40016;
/// Menu: invalid top-level button type.
pub const INVALID_BUTTON_TYPE: i64 = 40017;
/// Menu: top-level name empty or over 16 bytes.
pub const INVALID_BUTTON_NAME_SIZE: i64 = 40018;
/// Menu: top-level key missing or over 128 bytes.
pub const INVALID_BUTTON_KEY_SIZE: i64 = 40019;
/// Menu: top-level url missing or over 1024 bytes.
pub const INVALID_BUTTON_URL_SIZE: i64 = 40020;
/// Menu: sub-buttons nested below the second level.
pub const INVALID_SUB_BUTTON_LEVEL: i64 = 40022;
/// Menu: more than 5 sub-buttons.
pub const INVALID_SUB_BUTTON_SIZE: i64 = 40023;
/// Menu: invalid sub-button type.
pub const INVALID_SUB_BUTTON_TYPE: i64 = 40024;
/// Menu: sub-button name empty or over 60 bytes.
pub const INVALID_SUB_BUTTON_NAME_SIZE: i64 = 40025;
/// Menu: sub-button key missing or over 128 bytes.
pub const INVALID_SUB_BUTTON_KEY_SIZE: i64 = 40026;
/// Menu: sub-button url missing or over 1024 bytes.
pub const INVALID_SUB_BUTTON_URL_SIZE: i64 = 40027;
/// OpenID list empty or too long (batch tagging ≤ 50, batch user info ≤ 100).
pub const INVALID_OPENID_LIST_SIZE: i64 = 40032;
/// Unknown template id.
pub const INVALID_TEMPLATE_ID: i64 = 40037;
/// QR code: unknown `action_name`.
pub const INVALID_ACTION_NAME: i64 = 40052;
/// QR code: bad `action_info` (scene_id / scene_str out of range).
pub const INVALID_ACTION_INFO: i64 = 40053;
/// Invalid arguments (e.g. QR `expire_seconds` over 30 days).
pub const INVALID_ARGS: i64 = 40097;
/// AppSecret does not match the configured one.
pub const INVALID_APPSECRET: i64 = 40125;
/// Mass send by OpenID list needs at least two OpenIDs.
pub const MASS_OPENID_LIST_SIZE: i64 = 40130;
/// `access_token` query parameter missing.
pub const ACCESS_TOKEN_MISSING: i64 = 41001;
/// `appid` missing.
pub const APPID_MISSING: i64 = 41002;
/// `secret` missing.
pub const APPSECRET_MISSING: i64 = 41004;
/// Multipart field `media` missing.
pub const MEDIA_DATA_MISSING: i64 = 41005;
/// `openid` missing.
pub const OPENID_MISSING: i64 = 41009;
/// access_token expired.
pub const ACCESS_TOKEN_EXPIRED: i64 = 42001;
/// The API requires GET.
pub const REQUIRE_GET: i64 = 43001;
/// The API requires POST.
pub const REQUIRE_POST: i64 = 43002;
/// Empty request body.
pub const EMPTY_POST_DATA: i64 = 44002;
/// Empty message content.
pub const EMPTY_CONTENT: i64 = 44004;
/// API quota / frequency limit reached.
pub const API_QUOTA: i64 = 45009;
/// Minute-level frequency limit (stable_token force_refresh < 30 s apart).
pub const MINUTE_QUOTA: i64 = 45011;
/// Customer-service message outside the user's 48 h window.
pub const OUT_OF_WINDOW: i64 = 45015;
/// No mass-send quota left this month.
pub const NO_MASS_QUOTA: i64 = 45028;
/// Customer-service downlink cap (20 messages) reached since the user's last interaction.
pub const RESPONSE_COUNT_LIMIT: i64 = 45047;
/// More than 100 tags.
pub const TOO_MANY_TAGS: i64 = 45056;
/// Tags 0, 1 and 2 are reserved.
pub const SYS_TAG: i64 = 45058;
/// A user carries at most 20 tags.
pub const USER_TAG_LIMIT: i64 = 45059;
/// Mass send: `clientmsgid` already used; the body carries the existing `msg_id`.
pub const CLIENTMSGID_EXIST: i64 = 45065;
/// Invalid or duplicate tag name.
pub const INVALID_TAG_NAME: i64 = 45157;
/// Tag name over 30 bytes.
pub const TAG_NAME_TOO_LONG: i64 = 45158;
/// Unknown tag id.
pub const INVALID_TAG_ID: i64 = 45159;
/// No menu exists.
pub const MENU_NOT_EXIST: i64 = 46003;
/// The body is not valid JSON.
pub const DATA_FORMAT_ERROR: i64 = 47001;
/// API not available (the fake answers this for paths it does not implement).
pub const API_UNAUTHORIZED: i64 = 48001;

/// The `errmsg` WeChat sends with `errcode`.
pub fn errmsg(errcode: i64) -> &'static str {
    match errcode {
        0 => "ok",
        SYSTEM_BUSY => "system error",
        INVALID_CREDENTIAL => "invalid credential, access_token is invalid or not latest",
        INVALID_GRANT_TYPE => "invalid grant_type",
        INVALID_OPENID => "invalid openid",
        INVALID_MEDIA_TYPE => "invalid media type",
        INVALID_FILE_TYPE => "invalid file type",
        INVALID_MESSAGE_TYPE => "invalid message type",
        INVALID_IMAGE_SIZE => "invalid image size",
        INVALID_VOICE_SIZE => "invalid voice size",
        INVALID_VIDEO_SIZE => "invalid video size",
        INVALID_THUMB_SIZE => "invalid thumb size",
        INVALID_APPID => "invalid appid",
        40014 => "invalid access_token",
        INVALID_BUTTON_SIZE => "invalid button size",
        INVALID_BUTTON_TYPE => "invalid button type",
        INVALID_BUTTON_NAME_SIZE => "invalid button name size",
        INVALID_BUTTON_KEY_SIZE => "invalid button key size",
        INVALID_BUTTON_URL_SIZE => "invalid button url size",
        INVALID_SUB_BUTTON_LEVEL => "invalid sub button level",
        INVALID_SUB_BUTTON_SIZE => "invalid sub button size",
        INVALID_SUB_BUTTON_TYPE => "invalid sub button type",
        INVALID_SUB_BUTTON_NAME_SIZE => "invalid sub button name size",
        INVALID_SUB_BUTTON_KEY_SIZE => "invalid sub button key size",
        INVALID_SUB_BUTTON_URL_SIZE => "invalid sub button url size",
        INVALID_OPENID_LIST_SIZE => "invalid openid list size",
        INVALID_TEMPLATE_ID => "invalid template_id",
        INVALID_ACTION_NAME => "invalid action name",
        INVALID_ACTION_INFO => "invalid action info",
        INVALID_ARGS => "invalid args",
        INVALID_APPSECRET => "invalid appsecret",
        MASS_OPENID_LIST_SIZE => "invalid openid list size, at least two openid",
        ACCESS_TOKEN_MISSING => "access_token missing",
        APPID_MISSING => "appid missing",
        APPSECRET_MISSING => "appsecret missing",
        MEDIA_DATA_MISSING => "media data missing",
        OPENID_MISSING => "missing openid",
        ACCESS_TOKEN_EXPIRED => "access_token expired",
        REQUIRE_GET => "require GET method",
        REQUIRE_POST => "require POST method",
        43004 => "require subscribe",
        EMPTY_POST_DATA => "empty post data",
        EMPTY_CONTENT => "empty content",
        // The text of the official API_Call_Limits page quoted in WECHAT.md 2.0. Live servers
        // have also been seen answering "reach max api daily quota limit".
        API_QUOTA => "api freq out of limit",
        MINUTE_QUOTA => "api minute-quota reach limit, must slower, retry next minute",
        OUT_OF_WINDOW => "response out of time limit or subscription is canceled",
        NO_MASS_QUOTA => "has no masssend quota",
        RESPONSE_COUNT_LIMIT => "out of response count limit",
        TOO_MANY_TAGS => "too many tags",
        45057 => "can't delete the tag that has too many fans",
        SYS_TAG => "can't modify sys tag",
        USER_TAG_LIMIT => "too many tag now, no need to add new",
        CLIENTMSGID_EXIST => "clientmsgid exist",
        45066 => "same clientmsgid retry too fast",
        INVALID_TAG_NAME => "invalid tag name",
        TAG_NAME_TOO_LONG => "tag name too long",
        INVALID_TAG_ID => "invalid tag id",
        MENU_NOT_EXIST => "menu no exist",
        DATA_FORMAT_ERROR => "data format error",
        API_UNAUTHORIZED => "api unauthorized",
        _ => "fake error",
    }
}

/// An error answer: `{"errcode": errcode, "errmsg": errmsg}` with HTTP 200.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// WeChat errcode.
    pub errcode: i64,
    /// WeChat errmsg.
    pub errmsg: String,
}

impl ApiError {
    /// The error for `errcode` with WeChat's message ([`errmsg`]).
    pub fn new(errcode: i64) -> Self {
        ApiError {
            errcode,
            errmsg: errmsg(errcode).to_owned(),
        }
    }

    /// The JSON body.
    pub fn to_json(&self) -> Value {
        json!({"errcode": self.errcode, "errmsg": self.errmsg})
    }
}

/// Shorthand for handler results.
pub(crate) type ApiResult = Result<Value, ApiError>;

/// `Err(ApiError::new(errcode))`.
pub(crate) fn fail<T>(errcode: i64) -> Result<T, ApiError> {
    Err(ApiError::new(errcode))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        assert_eq!(ApiError::new(API_QUOTA).errmsg, "api freq out of limit");
        assert_eq!(
            ApiError::new(ACCESS_TOKEN_EXPIRED).to_json(),
            json!({"errcode": 42001, "errmsg": "access_token expired"})
        );
        assert_eq!(errmsg(123_456), "fake error");
    }
}
