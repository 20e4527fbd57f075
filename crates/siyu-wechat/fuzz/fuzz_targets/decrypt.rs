//! Fuzz safe-mode decryption: arbitrary `Encrypt` payloads and whole request bodies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use siyu_wechat::{KeySlot, WechatCrypto, XmlLimits};

const TOKEN: &str = "token";
const KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
const APP_ID: &str = "wx49f0ab532d5d035a";

fuzz_target!(|data: &[u8]| {
    let Ok(crypto) = WechatCrypto::new(TOKEN, KEY, APP_ID) else {
        return;
    };
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crypto.decrypt(text);
        // Round trip: anything we encrypt must decrypt to itself.
        let random = [0x5a; 16];
        if let Ok(enc) = crypto.encrypt_with(KeySlot::Current, text, random) {
            assert_eq!(crypto.decrypt(&enc).ok().as_deref(), Some(text));
        }
    }
    // Raw bytes as ciphertext (base64-encoded so they reach the AES layer).
    use base64_free::encode;
    let _ = crypto.decrypt(&encode(data));
    let _ = crypto.decrypt_message(data, "sig", "1", "n", &XmlLimits::default());
});

/// Tiny standard base64 encoder so the fuzz crate needs no extra dependency.
mod base64_free {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(data: &[u8]) -> String {
        let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
        for chunk in data.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}
