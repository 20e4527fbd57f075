//! EncodingAESKey decoding (WECHAT.md 0.1, 1.6).

use std::fmt;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

use crate::error::{Result, WechatError};

/// A lenient standard-alphabet engine: WeChat's 43-char keys usually have non-zero
/// trailing bits, which the strict `STANDARD` engine rejects.
pub(crate) const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A decoded 32-byte AES key; its Debug output is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct AesKey([u8; 32]);

impl AesKey {
    /// Decodes a 43-character EncodingAESKey (`base64(key + "=")`, trailing bits allowed).
    pub fn from_encoding_aes_key(encoding_aes_key: &str) -> Result<Self> {
        let s = encoding_aes_key.trim();
        if s.len() != 43 {
            return Err(WechatError::InvalidAesKey("must be 43 characters"));
        }
        let bytes = LENIENT
            .decode(format!("{s}="))
            .map_err(|_| WechatError::InvalidAesKey("not base64"))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| WechatError::InvalidAesKey("does not decode to 32 bytes"))?;
        Ok(AesKey(key))
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The CBC IV: the first 16 key bytes.
    pub fn iv(&self) -> &[u8] {
        &self.0[..16]
    }
}

impl fmt::Debug for AesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AesKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_non_canonical_trailing_bits() {
        // Canonical re-encoding ends in "1aQ=", WeChat hands out "1aR".
        let a =
            AesKey::from_encoding_aes_key("kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR").unwrap();
        let b =
            AesKey::from_encoding_aes_key("kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aQ").unwrap();
        assert_eq!(a, b);
        assert_eq!(format!("{a:?}"), "AesKey(<redacted>)");
    }

    #[test]
    fn rejects_wrong_length_or_alphabet() {
        assert!(AesKey::from_encoding_aes_key("short").is_err());
        assert!(AesKey::from_encoding_aes_key(&"!".repeat(43)).is_err());
    }
}
