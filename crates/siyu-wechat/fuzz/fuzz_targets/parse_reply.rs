//! Fuzz the reply parser; whatever parses must re-serialize to parseable XML.
#![no_main]

use libfuzzer_sys::fuzz_target;
use siyu_wechat::{Reply, XmlLimits};

fuzz_target!(|data: &[u8]| {
    let limits = XmlLimits::with_max_bytes(1 << 20);
    if let Ok(reply) = Reply::parse(data, &limits) {
        if let Ok(xml) = reply.to_xml() {
            // Serialization may drop characters XML cannot carry, but must stay parseable.
            let again = Reply::parse(xml.as_bytes(), &XmlLimits::with_max_bytes(8 << 20));
            assert!(again.is_ok(), "re-serialized reply does not parse: {xml}");
        }
    }
});
