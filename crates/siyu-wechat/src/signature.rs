//! Callback signatures: URL verification `signature` and safe-mode `msg_signature`.
//!
//! Both are `hex(sha1(concat(sort(parts))))` where the sort is a plain lexicographic byte
//! sort with no separator (WECHAT.md 0.5). Comparison is constant-time.

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use crate::error::{Result, WechatError};

/// Computes `hex(sha1(concat(sort(parts))))`, WeChat's signature over any set of strings.
pub fn sign(parts: &[&str]) -> String {
    let mut sorted: Vec<&[u8]> = parts.iter().map(|p| p.as_bytes()).collect();
    sorted.sort_unstable();
    let mut hasher = Sha1::new();
    for part in sorted {
        hasher.update(part);
    }
    hex_lower(&hasher.finalize())
}

/// The plain callback `signature`: `sha1(sort([token, timestamp, nonce]))`.
pub fn url_signature(token: &str, timestamp: &str, nonce: &str) -> String {
    sign(&[token, timestamp, nonce])
}

/// The safe-mode `msg_signature`: `sha1(sort([token, timestamp, nonce, encrypt]))`.
///
/// Used for the inbound URL parameter and for `<MsgSignature>` in encrypted replies.
pub fn msg_signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    sign(&[token, timestamp, nonce, encrypt])
}

/// Checks a plain `signature` (GET URL verification and every POST).
///
/// Hex case is ignored; comparison is constant-time.
pub fn verify_url_signature(
    token: &str,
    signature: &str,
    timestamp: &str,
    nonce: &str,
) -> Result<()> {
    check(&url_signature(token, timestamp, nonce), signature)
}

/// Checks a safe-mode `msg_signature` over the `Encrypt` payload.
pub fn verify_msg_signature(
    token: &str,
    signature: &str,
    timestamp: &str,
    nonce: &str,
    encrypt: &str,
) -> Result<()> {
    check(&msg_signature(token, timestamp, nonce, encrypt), signature)
}

/// Handles the GET URL verification: returns `echostr` unchanged when `signature` is valid.
///
/// 公众号 GET verification is always plaintext, even in safe mode (WECHAT.md 0.7).
pub fn verify_echo<'a>(
    token: &str,
    signature: &str,
    timestamp: &str,
    nonce: &str,
    echostr: &'a str,
) -> Result<&'a str> {
    verify_url_signature(token, signature, timestamp, nonce)?;
    Ok(echostr)
}

/// Constant-time equality of two byte strings (length is not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

fn check(expected: &str, given: &str) -> Result<()> {
    let given = given.trim().to_ascii_lowercase();
    if constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(WechatError::InvalidSignature)
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_get_example() {
        // WECHAT.md 1.1: Token AAAAA, official developers.weixin.qq.com worked example.
        let sig = url_signature("AAAAA", "1714036504", "1514711492");
        assert_eq!(sig, "f464b24fc39322e44b38aa78f5edd27bd1441696");
        let echo = verify_echo(
            "AAAAA",
            &sig,
            "1714036504",
            "1514711492",
            "4375120948345356249",
        );
        assert_eq!(echo.unwrap(), "4375120948345356249");
    }

    #[test]
    fn wechatpy_check_signature_vector() {
        assert!(verify_url_signature(
            "test",
            "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff",
            "1410685589",
            "test"
        )
        .is_ok());
    }

    #[test]
    fn uppercase_hex_accepted_and_forgery_rejected() {
        let ok = "F21891DE399B4E33A1A93C9A7B8A8FFFB5A443FF";
        assert!(verify_url_signature("test", ok, "1410685589", "test").is_ok());
        let bad = verify_url_signature("test", &"0".repeat(40), "1410685589", "test");
        assert!(matches!(bad, Err(WechatError::InvalidSignature)));
        assert!(verify_url_signature("test", "", "1410685589", "test").is_err());
    }

    #[test]
    fn sort_is_bytewise_not_numeric() {
        // "10" < "9" bytewise; a numeric sort would differ.
        assert_eq!(sign(&["9", "10"]), sign(&["10", "9"]));
        let mut h = Sha1::new();
        h.update(b"109");
        assert_eq!(sign(&["9", "10"]), hex_lower(&h.finalize()));
    }

    #[test]
    fn wechatpy_msg_signature_vector() {
        // tests/test_crypto.py::test_decrypt_message
        let encrypt = crate::crypto::tests_support::WECHATPY_DECRYPT_ENCRYPT;
        let sig = msg_signature("123456", "1411525903", "461056294", encrypt);
        assert_eq!(sig, "74d92dfeb87ba7c714f89d98870ae5eb62dff26d");
    }
}
