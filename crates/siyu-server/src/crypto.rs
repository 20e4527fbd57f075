//! Keys derived from `SIYU_SECRET_KEY`: one signs cookies, one encrypts secrets at rest.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::config::Secret;

type HmacSha256 = Hmac<Sha256>;

/// The keys one deployment uses; every node derives the same ones from the shared secret.
#[derive(Clone)]
pub struct Keys {
    signing: [u8; 32],
    encryption: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(<redacted>)")
    }
}

fn derive(secret: &Secret, purpose: &str) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

/// A fresh random token: 32 bytes, URL-safe base64.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// `bytes` random bytes in lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

const CROCKFORD: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The first `len` Crockford base32 characters of `bytes`.
pub fn base32(bytes: &[u8], len: usize) -> String {
    let mut out = String::with_capacity(len);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 && out.len() < len {
            bits -= 5;
            out.push(char::from(CROCKFORD[((acc >> bits) & 31) as usize]));
        }
    }
    out
}

/// Compares two byte strings in constant time.
pub fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why sealed data could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("the sealed value is corrupt or was sealed with another SIYU_SECRET_KEY")]
pub struct OpenError;

impl Keys {
    /// Derives the keys from the configured secret.
    pub fn from_secret(secret: &Secret) -> Self {
        Self {
            signing: derive(secret, "siyu cookie signing v1"),
            encryption: derive(secret, "siyu secrets at rest v1"),
        }
    }

    fn mac(&self, value: &str) -> HmacSha256 {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.signing).expect("HMAC takes any key length");
        mac.update(value.as_bytes());
        mac
    }

    /// `value.signature`, for a cookie.
    pub fn sign(&self, value: &str) -> String {
        let sig = self.mac(value).finalize().into_bytes();
        format!(
            "{value}.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig)
        )
    }

    /// The value of a signed cookie if its signature holds (checked in constant time).
    pub fn verify<'a>(&self, signed: &'a str) -> Option<&'a str> {
        let (value, sig) = signed.rsplit_once('.')?;
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sig)
            .ok()?;
        self.mac(value).verify_slice(&sig).ok()?;
        Some(value)
    }

    /// A short, typable authentication tag: Crockford base32 of `HMAC(key, purpose ‖ value)`,
    /// `len` characters (5 bits each). Used to make codes that can be checked without a lookup.
    pub fn tag(&self, purpose: &str, value: &str, len: usize) -> String {
        let mut mac = self.mac(purpose);
        mac.update(b"\0");
        mac.update(value.as_bytes());
        base32(&mac.finalize().into_bytes(), len)
    }

    /// Encrypts a secret for storage (AES-256-GCM, random nonce): `base64(nonce || ciphertext)`.
    pub fn seal(&self, plaintext: &str) -> String {
        let cipher = Aes256Gcm::new((&self.encryption).into());
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        base64::engine::general_purpose::STANDARD.encode(out)
    }

    /// Decrypts a value made by [`Keys::seal`].
    pub fn open(&self, sealed: &str) -> Result<String, OpenError> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| OpenError)?;
        if raw.len() < 12 {
            return Err(OpenError);
        }
        let (nonce, ct) = raw.split_at(12);
        let cipher = Aes256Gcm::new((&self.encryption).into());
        let pt = cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| OpenError)?;
        String::from_utf8(pt).map_err(|_| OpenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &str) -> Keys {
        Keys::from_secret(&Secret::new(s))
    }

    #[test]
    fn signatures_hold_only_for_the_same_key_and_value() {
        let k = keys("0123456789abcdef0123456789abcdef");
        let s = k.sign("abc");
        assert_eq!(k.verify(&s), Some("abc"));
        assert_eq!(k.verify(&s.replace("abc", "abd")), None);
        assert_eq!(keys("another key another key another key").verify(&s), None);
        assert_eq!(k.verify("garbage"), None);
    }

    #[test]
    fn tags_are_keyed_and_typable() {
        let k = keys("0123456789abcdef0123456789abcdef");
        let t = k.tag("voucher", "tn_a:ABC", 6);
        assert_eq!(t.len(), 6);
        assert!(t.bytes().all(|b| CROCKFORD.contains(&b)));
        assert_eq!(t, k.tag("voucher", "tn_a:ABC", 6));
        assert_ne!(t, k.tag("voucher", "tn_b:ABC", 6));
        assert_ne!(
            t,
            keys("another key another key another key").tag("voucher", "tn_a:ABC", 6)
        );
        assert_eq!(base32(&[0xff, 0xff], 3), "ZZZ");
    }

    #[test]
    fn sealed_secrets_round_trip_and_resist_tampering() {
        let k = keys("0123456789abcdef0123456789abcdef");
        let sealed = k.seal("AppSecret 秘钥");
        assert_ne!(sealed, k.seal("AppSecret 秘钥"), "nonces differ");
        assert_eq!(k.open(&sealed).unwrap(), "AppSecret 秘钥");
        let mut raw = base64::engine::general_purpose::STANDARD
            .decode(&sealed)
            .unwrap();
        raw[14] ^= 1;
        let tampered = base64::engine::general_purpose::STANDARD.encode(raw);
        assert!(k.open(&tampered).is_err());
        assert!(keys("another key another key another key")
            .open(&sealed)
            .is_err());
    }
}
