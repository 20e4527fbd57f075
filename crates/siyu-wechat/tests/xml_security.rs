//! Hostile XML: XXE, billion laughs, oversize, deep nesting, CDATA terminators.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use siyu_wechat::reply::{Reply, ReplyContent};
use siyu_wechat::xml::{self, XmlLimits, DEFAULT_MAX_BYTES};
use siyu_wechat::{Message, WechatError};

const HEAD: &str = "<ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType>";

#[test]
fn xxe_external_entity_is_rejected() {
    let doc = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<xml>{HEAD}<Content>&xxe;</Content></xml>"
    );
    assert!(matches!(
        Message::parse_str(&doc),
        Err(WechatError::DoctypeForbidden)
    ));
}

#[test]
fn billion_laughs_is_rejected_without_expansion() {
    let mut dtd = String::from("<!DOCTYPE lolz [<!ENTITY lol \"lol\">");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        dtd.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">",
            format!("&{prev};").repeat(10)
        ));
    }
    dtd.push(']');
    dtd.push('>');
    let doc = format!("<?xml version=\"1.0\"?>{dtd}<xml>{HEAD}<Content>&lol9;</Content></xml>");
    let started = std::time::Instant::now();
    assert!(matches!(
        Message::parse_str(&doc),
        Err(WechatError::DoctypeForbidden)
    ));
    assert!(started.elapsed().as_secs() < 1);
}

#[test]
fn undeclared_entities_are_errors_not_expanded() {
    let doc = format!("<xml>{HEAD}<Content>&lol;</Content></xml>");
    assert!(matches!(Message::parse_str(&doc), Err(WechatError::Xml(_))));
    let ok = format!("<xml>{HEAD}<Content>&lt;&#x1F600;&amp;</Content></xml>");
    let m = Message::parse_str(&ok).unwrap();
    assert_eq!(m.field("Content"), Some("<😀&"));
}

#[test]
fn oversize_input_is_rejected_before_parsing() {
    let doc = format!(
        "<xml>{HEAD}<Content>{}</Content></xml>",
        "a".repeat(DEFAULT_MAX_BYTES)
    );
    assert!(matches!(
        Message::parse_str(&doc),
        Err(WechatError::TooLarge {
            limit: DEFAULT_MAX_BYTES,
            ..
        })
    ));
    let roomy = XmlLimits::with_max_bytes(1 << 20);
    assert!(Message::parse(doc.as_bytes(), &roomy).is_ok());
}

#[test]
fn deep_nesting_is_rejected() {
    let doc = format!(
        "<xml>{HEAD}{}{}</xml>",
        "<a>".repeat(1_000),
        "</a>".repeat(1_000)
    );
    assert!(matches!(
        Message::parse_str(&doc),
        Err(WechatError::TooDeep { .. })
    ));
}

#[test]
fn cdata_with_terminator_round_trips() {
    let tricky = "a]]>b]]]]>c<![CDATA[d]]>";
    let reply = Reply {
        to_user_name: "o1".into(),
        from_user_name: "gh_1".into(),
        create_time: 1,
        content: ReplyContent::Text {
            content: tricky.into(),
        },
    };
    let out = reply.to_xml().unwrap();
    assert_eq!(
        Reply::parse(out.as_bytes(), &XmlLimits::default()).unwrap(),
        reply
    );
    let inbound = format!("<xml>{HEAD}<Content><![CDATA[x]]]]><![CDATA[>y]]></Content></xml>");
    assert_eq!(
        Message::parse_str(&inbound).unwrap().field("Content"),
        Some("x]]>y")
    );
}

#[test]
fn bom_emoji_and_any_unicode() {
    let doc =
        format!("\u{feff}<xml>{HEAD}<Content><![CDATA[👨‍👩‍👧 ñ 中文 \u{10FFFF}]]></Content></xml>");
    let m = Message::parse(doc.as_bytes(), &XmlLimits::default()).unwrap();
    assert_eq!(m.field("Content"), Some("👨‍👩‍👧 ñ 中文 \u{10FFFF}"));
    assert!(matches!(
        xml::parse(b"<xml>\xff</xml>", &XmlLimits::default()),
        Err(WechatError::InvalidUtf8)
    ));
}
