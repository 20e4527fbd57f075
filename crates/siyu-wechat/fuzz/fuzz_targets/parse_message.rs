//! Fuzz the hardened XML parser and the typed message layer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use siyu_wechat::{Message, XmlLimits};

fuzz_target!(|data: &[u8]| {
    let limits = XmlLimits::default();
    if let Ok(tree) = siyu_wechat::xml::parse(data, &limits) {
        if let Ok(msg) = Message::from_element(tree) {
            let _ = msg.dedupe_key();
            let _ = msg.event();
        }
    }
});
