//! Safe-mode message crypto (WECHAT.md 1.6): AES-256-CBC, IV = first 16 key bytes,
//! PKCS#7 to 32-byte blocks, plaintext `random(16) ‖ u32_be(len) ‖ msg ‖ AppID`.

mod envelope;
mod key;
mod pkcs7;
#[cfg(test)]
pub(crate) mod tests_support;

use std::fmt;

use aes::Aes256;
use base64::Engine;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use rand::RngCore;

pub use envelope::{extract_encrypt, EncryptedReply};
pub use key::AesKey;

use crate::error::{Result, WechatError};
use crate::signature;
use crate::xml::XmlLimits;

type Encryptor = cbc::Encryptor<Aes256>;
type Decryptor = cbc::Decryptor<Aes256>;

/// Which configured key decrypted a request, so the reply can use the same one
/// (EncodingAESKey rotation: keep the current and the previous key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySlot {
    /// The current EncodingAESKey.
    Current,
    /// The previous EncodingAESKey, kept during rotation.
    Previous,
}

/// Token + EncodingAESKey + AppID of one Official Account. Debug output is redacted.
#[derive(Clone)]
pub struct WechatCrypto {
    token: String,
    key: AesKey,
    previous: Option<AesKey>,
    app_id: String,
}

impl WechatCrypto {
    /// Creates the crypto context. `encoding_aes_key` is the 43-character value from the
    /// console; non-canonical trailing base64 bits are accepted.
    pub fn new(token: &str, encoding_aes_key: &str, app_id: &str) -> Result<Self> {
        if token.is_empty() {
            return Err(WechatError::Config("token must not be empty"));
        }
        if app_id.is_empty() {
            return Err(WechatError::Config("app_id must not be empty"));
        }
        Ok(WechatCrypto {
            token: token.to_owned(),
            key: AesKey::from_encoding_aes_key(encoding_aes_key)?,
            previous: None,
            app_id: app_id.to_owned(),
        })
    }

    /// Adds the previous EncodingAESKey; decryption tries the current key first.
    pub fn with_previous_key(mut self, encoding_aes_key: &str) -> Result<Self> {
        self.previous = Some(AesKey::from_encoding_aes_key(encoding_aes_key)?);
        Ok(self)
    }

    /// The AppID this context encrypts for and accepts.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The callback token (used for `signature` / `msg_signature`).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Encrypts `msg` with a fresh random 16-byte prefix; returns base64 (`<Encrypt>`).
    pub fn encrypt(&self, msg: &str) -> Result<String> {
        let mut random = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut random);
        self.encrypt_with(KeySlot::Current, msg, random)
    }

    /// Deterministic encryption with a caller-chosen random prefix and key (for test vectors
    /// and for replying with the key that decrypted the request).
    pub fn encrypt_with(&self, slot: KeySlot, msg: &str, random: [u8; 16]) -> Result<String> {
        let key = self.key_for(slot)?;
        let len = u32::try_from(msg.len()).map_err(|_| WechatError::TooLarge {
            size: msg.len(),
            limit: u32::MAX as usize,
        })?;
        let mut buf = Vec::with_capacity(16 + 4 + msg.len() + self.app_id.len() + 32);
        buf.extend_from_slice(&random);
        buf.extend_from_slice(&len.to_be_bytes());
        buf.extend_from_slice(msg.as_bytes());
        buf.extend_from_slice(self.app_id.as_bytes());
        pkcs7::pad(&mut buf);
        let cipher = Encryptor::new_from_slices(key.as_bytes(), key.iv())
            .map_err(|_| WechatError::InvalidAesKey("bad key length"))?;
        let ct = cipher.encrypt_padded_vec_mut::<NoPadding>(&buf);
        Ok(base64::engine::general_purpose::STANDARD.encode(ct))
    }

    /// Decrypts a base64 `<Encrypt>` payload and checks the trailing AppID.
    pub fn decrypt(&self, encrypt: &str) -> Result<String> {
        self.decrypt_with_slot(encrypt).map(|(xml, _)| xml)
    }

    /// Like [`decrypt`](Self::decrypt), also telling which key succeeded.
    pub fn decrypt_with_slot(&self, encrypt: &str) -> Result<(String, KeySlot)> {
        let raw = key::LENIENT
            .decode(encrypt.trim())
            .map_err(|_| WechatError::InvalidBase64)?;
        match decrypt_raw(&self.key, &raw, &self.app_id) {
            Ok(xml) => Ok((xml, KeySlot::Current)),
            Err(first) => match &self.previous {
                Some(prev) => decrypt_raw(prev, &raw, &self.app_id)
                    .map(|xml| (xml, KeySlot::Previous))
                    .map_err(|_| first),
                None => Err(first),
            },
        }
    }

    /// Verifies `msg_signature` over the body's `<Encrypt>` and decrypts it.
    ///
    /// `body` is the raw POST body (safe or compatible mode); it is parsed with the
    /// hardened parser under `limits`.
    pub fn decrypt_message(
        &self,
        body: &[u8],
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        limits: &XmlLimits,
    ) -> Result<(String, KeySlot)> {
        let encrypt = extract_encrypt(body, limits)?;
        signature::verify_msg_signature(&self.token, msg_signature, timestamp, nonce, &encrypt)?;
        self.decrypt_with_slot(&encrypt)
    }

    /// Encrypts a reply and wraps it in the `<Encrypt>/<MsgSignature>/<TimeStamp>/<Nonce>`
    /// envelope. Any fresh timestamp/nonce works; reusing the request's is common.
    pub fn encrypt_reply(&self, reply_xml: &str, timestamp: &str, nonce: &str) -> Result<String> {
        self.encrypt_reply_with(KeySlot::Current, reply_xml, timestamp, nonce)
    }

    /// Like [`encrypt_reply`](Self::encrypt_reply) with the given key slot.
    pub fn encrypt_reply_with(
        &self,
        slot: KeySlot,
        reply_xml: &str,
        timestamp: &str,
        nonce: &str,
    ) -> Result<String> {
        let mut random = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut random);
        let encrypt = self.encrypt_with(slot, reply_xml, random)?;
        Ok(self.envelope(encrypt, timestamp, nonce).to_xml())
    }

    /// Builds the signed envelope for an already-encrypted payload.
    pub fn envelope(&self, encrypt: String, timestamp: &str, nonce: &str) -> EncryptedReply {
        let msg_signature = signature::msg_signature(&self.token, timestamp, nonce, &encrypt);
        EncryptedReply {
            encrypt,
            msg_signature,
            timestamp: timestamp.to_owned(),
            nonce: nonce.to_owned(),
        }
    }

    fn key_for(&self, slot: KeySlot) -> Result<&AesKey> {
        match slot {
            KeySlot::Current => Ok(&self.key),
            KeySlot::Previous => self
                .previous
                .as_ref()
                .ok_or(WechatError::Config("no previous EncodingAESKey configured")),
        }
    }
}

impl fmt::Debug for WechatCrypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatCrypto")
            .field("token", &"<redacted>")
            .field("key", &self.key)
            .field("previous", &self.previous.as_ref().map(|_| "<redacted>"))
            .field("app_id", &self.app_id)
            .finish()
    }
}

/// AES-CBC decrypt, strict unpad, then split `random(16) ‖ len ‖ msg ‖ appid`.
fn decrypt_raw(key: &AesKey, raw: &[u8], app_id: &str) -> Result<String> {
    if raw.is_empty() || !raw.len().is_multiple_of(16) {
        return Err(WechatError::InvalidCiphertext(
            "length is not a positive multiple of 16",
        ));
    }
    let cipher = Decryptor::new_from_slices(key.as_bytes(), key.iv())
        .map_err(|_| WechatError::InvalidAesKey("bad key length"))?;
    let plain = cipher
        .decrypt_padded_vec_mut::<NoPadding>(raw)
        .map_err(|_| WechatError::InvalidCiphertext("block decryption failed"))?;
    let unpadded = pkcs7::unpad(&plain)?;
    // The 16-byte random prefix is opaque bytes, never text.
    let content = unpadded.get(16..).ok_or(WechatError::InvalidCiphertext(
        "shorter than the random prefix",
    ))?;
    let (len_bytes, rest) = content
        .split_first_chunk::<4>()
        .ok_or(WechatError::InvalidCiphertext("missing msg_len"))?;
    let len = usize::try_from(u32::from_be_bytes(*len_bytes))
        .map_err(|_| WechatError::InvalidCiphertext("msg_len overflow"))?;
    if len > rest.len() {
        return Err(WechatError::InvalidCiphertext("msg_len exceeds plaintext"));
    }
    let (msg, trailing_app_id) = rest.split_at(len);
    if !signature::constant_time_eq(trailing_app_id, app_id.as_bytes()) {
        return Err(WechatError::AppIdMismatch);
    }
    String::from_utf8(msg.to_vec()).map_err(|_| WechatError::InvalidUtf8)
}

#[cfg(test)]
mod tests {
    use super::tests_support::*;
    use super::*;

    fn crypto() -> WechatCrypto {
        WechatCrypto::new(TOKEN, ENCODING_AES_KEY, APP_ID).unwrap()
    }

    #[test]
    fn wechatpy_encrypt_vector() {
        let c = crypto();
        let enc = c
            .encrypt_with(
                KeySlot::Current,
                WECHATPY_ENCRYPT_PLAIN,
                *b"1234567890123456",
            )
            .unwrap();
        assert_eq!(enc, WECHATPY_ENCRYPT_EXPECTED);
        let env = c.envelope(enc, "1411525903", "461056294");
        assert_eq!(
            env.msg_signature,
            "407518b7649e86ef23978113f92d27afa9296533"
        );
    }

    #[test]
    fn wechatpy_decrypt_vector() {
        let body = format!(
            "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n<Encrypt><![CDATA[{}]]></Encrypt>\n<AgentID><![CDATA[1]]></AgentID>\n</xml>",
            WECHATPY_DECRYPT_ENCRYPT
        );
        let (xml, slot) = crypto()
            .decrypt_message(
                body.as_bytes(),
                "74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
                "1411525903",
                "461056294",
                &XmlLimits::default(),
            )
            .unwrap();
        assert_eq!(xml, WECHATPY_DECRYPT_PLAIN);
        assert_eq!(slot, KeySlot::Current);
    }

    #[test]
    fn wrong_app_id_is_rejected() {
        let other = WechatCrypto::new(TOKEN, ENCODING_AES_KEY, "wx0000000000000000").unwrap();
        let enc = other.encrypt("<xml/>").unwrap();
        assert!(matches!(
            crypto().decrypt(&enc),
            Err(WechatError::AppIdMismatch)
        ));
    }

    #[test]
    fn malformed_ciphertexts_are_rejected() {
        let c = crypto();
        assert!(matches!(c.decrypt("!!!"), Err(WechatError::InvalidBase64)));
        assert!(c.decrypt("").is_err());
        assert!(c.decrypt("AAAA").is_err()); // 3 bytes
        assert!(c.decrypt(&"A".repeat(44)).is_err()); // 32 bytes of garbage
    }

    #[test]
    fn previous_key_rotation() {
        let old_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
        let old = WechatCrypto::new(TOKEN, old_key, APP_ID).unwrap();
        let enc = old.encrypt("<xml>hi</xml>").unwrap();
        let rotated = crypto().with_previous_key(old_key).unwrap();
        let (xml, slot) = rotated.decrypt_with_slot(&enc).unwrap();
        assert_eq!((xml.as_str(), slot), ("<xml>hi</xml>", KeySlot::Previous));
        let back = rotated.encrypt_with(slot, "r", [7; 16]).unwrap();
        assert_eq!(old.decrypt(&back).unwrap(), "r");
        assert!(crypto()
            .encrypt_with(KeySlot::Previous, "r", [0; 16])
            .is_err());
    }

    #[test]
    fn debug_is_redacted() {
        let s = format!("{:?}", crypto());
        assert!(!s.contains(TOKEN) && !s.contains("kWxPEV"));
        assert!(s.contains(APP_ID));
    }
}
