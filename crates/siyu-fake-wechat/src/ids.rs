//! Realistic-looking identifiers from the seeded RNG: OpenIDs, tokens, media ids, QR
//! tickets and URLs, message ids.

use rand::rngs::StdRng;
use rand::Rng;

/// `[A-Za-z0-9_-]`, the alphabet of OpenIDs, tokens and media ids.
const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// `[A-Za-z0-9]`.
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Prefix shared by the fake's OpenIDs (as in WeChat's documentation samples).
pub const OPENID_PREFIX: &str = "o6_bmj";
/// Length of an OpenID.
pub const OPENID_LEN: usize = 28;

fn random_string(rng: &mut StdRng, alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
        .collect()
}

/// A 28-character OpenID such as `o6_bmjrPTlm6_2sgVt7hMZOPfL2M`.
pub(crate) fn openid(rng: &mut StdRng) -> String {
    let tail = random_string(rng, URL_SAFE, OPENID_LEN - OPENID_PREFIX.len());
    format!("{OPENID_PREFIX}{tail}")
}

/// A 28-character UnionID.
pub(crate) fn unionid(rng: &mut StdRng) -> String {
    format!("oGZU{}", random_string(rng, URL_SAFE, 24))
}

/// An access token: a numeric generation prefix and 150 url-safe characters.
pub(crate) fn access_token(rng: &mut StdRng) -> String {
    let generation: u32 = rng.gen_range(80..100);
    format!("{generation}_{}", random_string(rng, URL_SAFE, 150))
}

/// A 64-character temporary media id.
pub(crate) fn media_id(rng: &mut StdRng) -> String {
    random_string(rng, URL_SAFE, 64)
}

/// A message id as WeChat returns from template and mass sends (10 digits).
pub(crate) fn message_id(rng: &mut StdRng) -> u64 {
    rng.gen_range(1_000_000_000..4_000_000_000)
}

/// The content of a QR code: `http://weixin.qq.com/q/02` and 22 alphanumerics.
pub(crate) fn qr_url(rng: &mut StdRng) -> String {
    format!("http://weixin.qq.com/q/02{}", random_string(rng, ALNUM, 22))
}

/// A ticket shaped like WeChat's: base64 of a small TLV record holding the URL, the
/// creation time and the lifetime (0 for permanent codes).
pub(crate) fn qr_ticket(url: &str, created_at: i64, expire_seconds: u32) -> String {
    let mut bytes = vec![0x81, 0x01, 0x80, 0xf0, 0x3c, 0, 0, 0, 0, 0, 0, 0, 0x01];
    // Field 1: the URL, NUL-terminated (the length counts the NUL).
    bytes.push(u8::try_from(url.len() + 1).unwrap_or(u8::MAX));
    bytes.extend_from_slice(url.as_bytes());
    bytes.extend_from_slice(&[0x00, 0x02, 0x04]);
    bytes.extend_from_slice(&u32::try_from(created_at).unwrap_or(0).to_le_bytes());
    bytes.extend_from_slice(&[0x03, 0x04]);
    bytes.extend_from_slice(&expire_seconds.to_le_bytes());
    base64(&bytes)
}

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// FNV-1a, to derive per-OpenID seeds.
pub(crate) fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn shapes() {
        let mut rng = StdRng::seed_from_u64(1);
        let o = openid(&mut rng);
        assert_eq!(o.len(), OPENID_LEN);
        assert!(o.starts_with(OPENID_PREFIX));
        assert_eq!(unionid(&mut rng).len(), 28);
        assert!(qr_url(&mut rng).starts_with("http://weixin.qq.com/q/02"));
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
    }

    #[test]
    fn ticket_matches_wechat_layout() {
        // A real ticket from a community capture (expire 86400, created 1659576756).
        let real = "gQGA8DwAAAAAAAAAAS5odHRwOi8vd2VpeGluLnFxLmNvbS9xLzAyd1BGS0JtUEpmdTIxUVFQSXh5Y0cAAgS0IetiAwSAUQEA";
        let ours = qr_ticket(
            "http://weixin.qq.com/q/02wPFKBmPJfu21QQPIxycG",
            1_659_576_756,
            86_400,
        );
        assert_eq!(ours, real);
    }
}
