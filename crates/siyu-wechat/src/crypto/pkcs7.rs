//! PKCS#7 padding with WeChat's 32-byte block (WECHAT.md 0.3).

use crate::error::{Result, WechatError};

/// WeChat pads to multiples of 32 bytes, not the 16-byte AES block.
pub const BLOCK: usize = 32;

/// Appends 1..=32 bytes of padding so the length becomes a multiple of 32.
pub fn pad(buf: &mut Vec<u8>) {
    let n = BLOCK - buf.len() % BLOCK;
    // n is in 1..=32, so it always fits a byte.
    let byte = u8::try_from(n).unwrap_or(32);
    buf.resize(buf.len() + n, byte);
}

/// Strict unpadding: the pad value must be in 1..=32 and every pad byte must be equal.
///
/// 16-block padding from other implementations is accepted (its pad values are ≤ 16).
pub fn unpad(buf: &[u8]) -> Result<&[u8]> {
    let last = *buf
        .last()
        .ok_or(WechatError::InvalidCiphertext("empty plaintext"))?;
    let n = usize::from(last);
    if n == 0 || n > BLOCK || n > buf.len() {
        return Err(WechatError::InvalidCiphertext("bad PKCS#7 padding"));
    }
    let (body, padding) = buf.split_at(buf.len() - n);
    if padding.iter().any(|&b| b != last) {
        return Err(WechatError::InvalidCiphertext("bad PKCS#7 padding"));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_to_32_and_adds_full_block_when_aligned() {
        let mut v = vec![0u8; 32];
        pad(&mut v);
        assert_eq!(v.len(), 64);
        assert!(v[32..].iter().all(|&b| b == 32));
        let mut v = vec![0u8; 33];
        pad(&mut v);
        assert_eq!(v.len(), 64);
        assert_eq!(v[63], 31);
        assert_eq!(unpad(&v).unwrap().len(), 33);
    }

    #[test]
    fn rejects_bad_padding() {
        assert!(unpad(&[]).is_err());
        assert!(unpad(&[1, 2, 0]).is_err());
        assert!(unpad(&[0u8; 40].iter().map(|_| 33).collect::<Vec<_>>()).is_err());
        assert!(unpad(&[5, 5, 4, 5, 5]).is_err());
        assert_eq!(unpad(&[9, 2, 2]).unwrap(), &[9]);
    }
}
