//! Property tests: crypto and reply round trips; the parsers never panic.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use proptest::prelude::*;
use siyu_wechat::reply::{Article, Reply, ReplyContent};
use siyu_wechat::{KeySlot, Message, WechatCrypto, XmlLimits};

fn crypto() -> WechatCrypto {
    WechatCrypto::new(
        "token",
        "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
        "wx49f0ab532d5d035a",
    )
    .unwrap()
}

/// Strings of characters XML 1.0 can carry (what a reply can faithfully transport).
fn xml_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            any::<char>().prop_filter("xml char", |c| matches!(*c, '\t' | '\n' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)),
            Just(']'),
            Just('>'),
            Just('<'),
            Just('&'),
            Just('😀'),
        ],
        0..40,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn article() -> impl Strategy<Value = Article> {
    (xml_text(), xml_text(), xml_text(), xml_text()).prop_map(
        |(title, description, pic_url, url)| Article {
            title,
            description,
            pic_url,
            url,
        },
    )
}

fn content() -> impl Strategy<Value = ReplyContent> {
    prop_oneof![
        xml_text().prop_map(|content| ReplyContent::Text { content }),
        xml_text().prop_map(|media_id| ReplyContent::Image { media_id }),
        xml_text().prop_map(|media_id| ReplyContent::Voice { media_id }),
        (xml_text(), xml_text(), xml_text()).prop_map(|(media_id, title, description)| {
            ReplyContent::Video {
                media_id,
                title,
                description,
            }
        }),
        (xml_text(), xml_text(), xml_text(), xml_text(), xml_text()).prop_map(
            |(title, description, music_url, hq_music_url, thumb_media_id)| {
                ReplyContent::Music {
                    title,
                    description,
                    music_url,
                    hq_music_url,
                    thumb_media_id,
                }
            }
        ),
        proptest::collection::vec(article(), 1..=8)
            .prop_map(|articles| ReplyContent::News { articles }),
        proptest::option::of(xml_text())
            .prop_map(|kf_account| ReplyContent::TransferCustomerService { kf_account }),
    ]
}

fn reply() -> impl Strategy<Value = Reply> {
    (xml_text(), xml_text(), any::<i64>(), content()).prop_map(
        |(to_user_name, from_user_name, create_time, content)| Reply {
            to_user_name,
            from_user_name,
            create_time,
            content,
        },
    )
}

proptest! {
    #[test]
    fn encrypt_decrypt_round_trip(msg in any::<String>(), random in any::<[u8; 16]>()) {
        let c = crypto();
        let enc = c.encrypt_with(KeySlot::Current, &msg, random).unwrap();
        prop_assert_eq!(c.decrypt(&enc).unwrap(), msg);
    }

    #[test]
    fn random_prefix_does_not_matter(msg in "\\PC{0,64}") {
        let c = crypto();
        prop_assert_eq!(c.decrypt(&c.encrypt(&msg).unwrap()).unwrap(), msg);
    }

    #[test]
    fn reply_serialize_parse_round_trip(r in reply()) {
        let xml = r.to_xml().unwrap();
        let parsed = Reply::parse(xml.as_bytes(), &XmlLimits::with_max_bytes(1 << 20)).unwrap();
        prop_assert_eq!(&parsed, &r);
        prop_assert_eq!(parsed.to_xml().unwrap(), xml);
    }

    #[test]
    fn parser_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Message::parse(&bytes, &XmlLimits::default());
        let _ = Reply::parse(&bytes, &XmlLimits::default());
    }

    #[test]
    fn parser_never_panics_on_xmlish(s in "(<[a-zA-Z!?/]{0,3}[a-zA-Z]{0,6}>|<!\\[CDATA\\[|\\]\\]>|&[a-z#0-9]{0,5};|[^<&]{0,8}){0,40}") {
        let _ = Message::parse_str(&s);
        let _ = Message::parse_str(&format!("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType>{s}</xml>"));
    }

    #[test]
    fn decrypt_never_panics(s in "[A-Za-z0-9+/=]{0,200}") {
        let _ = crypto().decrypt(&s);
    }

    #[test]
    fn tampering_is_caught_by_msg_signature(msg in "[a-z]{1,40}", flip in 0usize..64) {
        // AES-CBC alone is malleable; WeChat authenticates `Encrypt` with msg_signature.
        use base64::Engine;
        use siyu_wechat::signature;
        let c = crypto();
        let enc = c.encrypt(&msg).unwrap();
        let sig = signature::msg_signature("token", "1", "n", &enc);
        let mut raw = base64::engine::general_purpose::STANDARD.decode(&enc).unwrap();
        let i = flip % raw.len();
        raw[i] ^= 0x01;
        let tampered = base64::engine::general_purpose::STANDARD.encode(raw);
        prop_assert!(signature::verify_msg_signature("token", &sig, "1", "n", &tampered).is_err());
        let _ = c.decrypt(&tampered);
    }
}
