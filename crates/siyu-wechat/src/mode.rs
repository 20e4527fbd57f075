//! Message-encryption modes (明文 / 兼容 / 安全) and the per-request accept/encrypt decision
//! (WECHAT.md 1.2, 0.6). Pure functions: the clock is always a parameter.

use serde::Deserialize;

use crate::error::{Result, WechatError};

/// The account's 消息加解密方式 setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountMode {
    /// 明文: plaintext only.
    #[default]
    Plain,
    /// 兼容: plaintext fields and `<Encrypt>`; accepts both kinds of request.
    Compatible,
    /// 安全: encrypted only; plaintext requests are refused.
    Safe,
}

/// The callback URL query string. Deserializable from the query (e.g. axum `Query`);
/// missing parameters become empty strings / `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CallbackQuery {
    /// `signature` = sha1(sort(token, timestamp, nonce)); present in every mode.
    pub signature: String,
    /// `timestamp` (unix seconds, as sent).
    pub timestamp: String,
    /// `nonce`.
    pub nonce: String,
    /// `echostr` (GET URL verification only).
    pub echostr: Option<String>,
    /// `openid` of the sender (POST only; not covered by the signature).
    pub openid: Option<String>,
    /// `encrypt_type`: `aes` for encrypted requests; absent or `raw` for plaintext.
    pub encrypt_type: Option<String>,
    /// `msg_signature` over `<Encrypt>` (encrypted requests only).
    pub msg_signature: Option<String>,
}

/// How a request arrived, which is also how its reply must be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Envelope {
    /// Plaintext request; the reply must be plaintext.
    Plain,
    /// `encrypt_type=aes`; the reply must be encrypted (or `success`).
    Aes,
}

impl Envelope {
    /// Whether the reply must be encrypted: iff the request had `encrypt_type=aes`.
    pub fn reply_encrypted(self) -> bool {
        self == Envelope::Aes
    }
}

/// Decides whether a POST is acceptable under `mode` and how it (and its reply) is enveloped.
///
/// * Safe mode refuses plaintext requests; plain mode refuses encrypted ones; compatible
///   accepts both.
/// * `encrypt_type=aes` requires `msg_signature`; unknown `encrypt_type` values are refused.
///
/// This does not check signatures; [`crate::Callback::open`] does both.
pub fn decide(mode: AccountMode, query: &CallbackQuery) -> Result<Envelope> {
    let envelope = match query.encrypt_type.as_deref().map(str::trim) {
        None | Some("") => Envelope::Plain,
        Some(t) if t.eq_ignore_ascii_case("raw") => Envelope::Plain,
        Some(t) if t.eq_ignore_ascii_case("aes") => Envelope::Aes,
        Some(_) => return Err(WechatError::ModeRejected("unknown encrypt_type")),
    };
    if envelope == Envelope::Aes && query.msg_signature.as_deref().unwrap_or("").is_empty() {
        return Err(WechatError::ModeRejected(
            "encrypt_type=aes without msg_signature",
        ));
    }
    match (mode, envelope) {
        (AccountMode::Safe, Envelope::Plain) => Err(WechatError::ModeRejected(
            "safe mode refuses plaintext requests",
        )),
        (AccountMode::Plain, Envelope::Aes) => Err(WechatError::ModeRejected(
            "plaintext mode refuses encrypted requests",
        )),
        _ => Ok(envelope),
    }
}

/// Checks `|now − timestamp| ≤ max_skew_secs`. WeChat documents no window for callbacks,
/// so using this is a local policy choice.
pub fn check_timestamp(timestamp: &str, now: i64, max_skew_secs: u64) -> Result<()> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| WechatError::InvalidField("timestamp"))?;
    if ts.abs_diff(now) > max_skew_secs {
        return Err(WechatError::TimestampSkew);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(encrypt_type: Option<&str>, msg_signature: Option<&str>) -> CallbackQuery {
        CallbackQuery {
            encrypt_type: encrypt_type.map(Into::into),
            msg_signature: msg_signature.map(Into::into),
            ..CallbackQuery::default()
        }
    }

    #[test]
    fn decision_table() {
        use AccountMode::*;
        let plain = q(None, None);
        let raw = q(Some("raw"), None);
        let aes = q(Some("aes"), Some("sig"));
        assert_eq!(decide(Plain, &plain).unwrap(), Envelope::Plain);
        assert_eq!(decide(Plain, &raw).unwrap(), Envelope::Plain);
        assert!(decide(Plain, &aes).is_err());
        assert_eq!(decide(Compatible, &plain).unwrap(), Envelope::Plain);
        assert_eq!(decide(Compatible, &aes).unwrap(), Envelope::Aes);
        assert!(decide(Safe, &plain).is_err());
        assert!(decide(Safe, &raw).is_err());
        assert!(decide(Safe, &aes).unwrap().reply_encrypted());
        assert!(!decide(Compatible, &plain).unwrap().reply_encrypted());
        assert!(decide(Safe, &q(Some("aes"), None)).is_err());
        assert!(decide(Compatible, &q(Some("des"), Some("x"))).is_err());
    }

    #[test]
    fn timestamp_window() {
        assert!(check_timestamp("1000", 1300, 300).is_ok());
        assert!(check_timestamp("1000", 700, 300).is_ok());
        assert!(matches!(
            check_timestamp("1000", 1301, 300),
            Err(WechatError::TimestampSkew)
        ));
        assert!(check_timestamp("abc", 0, 300).is_err());
    }
}
