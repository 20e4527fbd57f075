//! The encrypted XML envelopes: `<Encrypt>` extraction from requests and the signed reply.

use crate::error::{Result, WechatError};
use crate::xml::{self, push_cdata_element, push_element, XmlLimits};

/// The encrypted reply envelope (WECHAT.md 1.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedReply {
    /// Base64 ciphertext (`<Encrypt>`).
    pub encrypt: String,
    /// `sha1(sort(token, TimeStamp, Nonce, Encrypt))` (`<MsgSignature>`).
    pub msg_signature: String,
    /// `<TimeStamp>` (a decimal string, rendered bare).
    pub timestamp: String,
    /// `<Nonce>`.
    pub nonce: String,
}

impl EncryptedReply {
    /// Renders `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>`.
    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(self.encrypt.len() + 200);
        out.push_str("<xml>\n");
        push_cdata_element(&mut out, "Encrypt", &self.encrypt);
        out.push('\n');
        push_cdata_element(&mut out, "MsgSignature", &self.msg_signature);
        out.push('\n');
        if self.timestamp.bytes().all(|b| b.is_ascii_digit()) && !self.timestamp.is_empty() {
            push_element(&mut out, "TimeStamp", &self.timestamp);
        } else {
            push_cdata_element(&mut out, "TimeStamp", &self.timestamp);
        }
        out.push('\n');
        push_cdata_element(&mut out, "Nonce", &self.nonce);
        out.push_str("\n</xml>");
        out
    }

    /// Parses an encrypted envelope (e.g. to check a reply in tests).
    pub fn parse(input: &[u8], limits: &XmlLimits) -> Result<EncryptedReply> {
        let el = xml::parse(input, limits)?;
        let get = |n: &'static str| {
            el.child_text(n)
                .map(|s| s.trim().to_owned())
                .ok_or(WechatError::MissingField(n))
        };
        Ok(EncryptedReply {
            encrypt: get("Encrypt")?,
            msg_signature: get("MsgSignature")?,
            timestamp: get("TimeStamp")?,
            nonce: get("Nonce")?,
        })
    }
}

/// Extracts `<Encrypt>` from a safe- or compatible-mode request body.
pub fn extract_encrypt(body: &[u8], limits: &XmlLimits) -> Result<String> {
    let el = xml::parse(body, limits)?;
    el.child_text("Encrypt")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or(WechatError::MissingField("Encrypt"))
}
