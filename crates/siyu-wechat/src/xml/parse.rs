//! The quick-xml event loop behind [`parse`].

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{Element, XmlLimits};
use crate::error::{Result, WechatError};

/// Parses one XML document into an [`Element`] tree under `limits`.
///
/// Rejects: input over `max_bytes`, non-UTF-8 input, any `<!DOCTYPE`, unknown entities,
/// nesting over `max_depth`, more than `max_elements` elements, mismatched or unclosed
/// tags, text outside the root and a second root element.
pub fn parse(input: &[u8], limits: &XmlLimits) -> Result<Element> {
    if input.len() > limits.max_bytes {
        return Err(WechatError::TooLarge {
            size: input.len(),
            limit: limits.max_bytes,
        });
    }
    let text = std::str::from_utf8(input).map_err(|_| WechatError::InvalidUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = true;
    config.expand_empty_elements = false;

    let mut tree = Tree {
        stack: Vec::new(),
        root: None,
        count: 0,
        limits,
    };
    loop {
        match reader.read_event().map_err(xml_err)? {
            Event::DocType(_) => return Err(WechatError::DoctypeForbidden),
            Event::Start(start) => {
                let el = tree.open(&start)?;
                tree.stack.push(el);
            }
            Event::Empty(start) => {
                let el = tree.open(&start)?;
                tree.close(el)?;
            }
            Event::End(_) => {
                let el = tree
                    .stack
                    .pop()
                    .ok_or_else(|| WechatError::Xml("unexpected closing tag".into()))?;
                tree.close(el)?;
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(xml_err)?;
                tree.text(&s)?;
            }
            Event::CData(c) => {
                let s = std::str::from_utf8(&c).map_err(|_| WechatError::InvalidUtf8)?;
                tree.text(s)?;
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !tree.stack.is_empty() {
        return Err(WechatError::Xml("unclosed element".into()));
    }
    tree.root
        .ok_or_else(|| WechatError::Xml("no root element".into()))
}

struct Tree<'l> {
    stack: Vec<Element>,
    root: Option<Element>,
    count: usize,
    limits: &'l XmlLimits,
}

impl Tree<'_> {
    fn open(&mut self, start: &BytesStart<'_>) -> Result<Element> {
        if self.root.is_some() {
            return Err(WechatError::Xml("content after the root element".into()));
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(WechatError::TooDeep {
                limit: self.limits.max_depth,
            });
        }
        self.count += 1;
        if self.count > self.limits.max_elements {
            return Err(WechatError::Xml("too many elements".into()));
        }
        let name = std::str::from_utf8(start.name().as_ref())
            .map_err(|_| WechatError::InvalidUtf8)?
            .to_owned();
        Ok(Element {
            name,
            ..Element::default()
        })
    }

    fn close(&mut self, el: Element) -> Result<()> {
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(el),
            None => self.root = Some(el),
        }
        Ok(())
    }

    fn text(&mut self, s: &str) -> Result<()> {
        match self.stack.last_mut() {
            Some(top) => top.text.push_str(s),
            None if s.trim().is_empty() => {}
            None => return Err(WechatError::Xml("text outside the root element".into())),
        }
        Ok(())
    }
}

fn xml_err(e: impl std::fmt::Display) -> WechatError {
    WechatError::Xml(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Element> {
        parse(s.as_bytes(), &XmlLimits::default())
    }

    #[test]
    fn parses_cdata_text_and_entities() {
        let el = p(
            "<?xml version=\"1.0\"?><xml><A><![CDATA[x<y]]></A><B>1 &amp; 2 &#x4F60;</B><C/></xml>",
        )
        .unwrap();
        assert_eq!(el.child_text("A"), Some("x<y"));
        assert_eq!(el.child_text("B"), Some("1 & 2 你"));
        assert_eq!(el.child_text("C"), Some(""));
    }

    #[test]
    fn cdata_terminator_split_across_sections() {
        let el = p("<xml><A><![CDATA[a]]]]><![CDATA[>b]]></A></xml>").unwrap();
        assert_eq!(el.child_text("A"), Some("a]]>b"));
    }

    #[test]
    fn rejects_doctype_and_entities() {
        let xxe = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><A>&e;</A></xml>";
        assert!(matches!(p(xxe), Err(WechatError::DoctypeForbidden)));
        assert!(p("<xml><A>&e;</A></xml>").is_err());
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "<xml>",
            "<xml></yml>",
            "<a/><b/>",
            "x<a/>",
            "<a/>x",
            "</a>",
            "<xml><A></xml>",
        ] {
            assert!(p(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn enforces_limits() {
        let deep = "<a>".repeat(20) + &"</a>".repeat(20);
        assert!(matches!(p(&deep), Err(WechatError::TooDeep { limit: 16 })));
        let big = format!("<xml>{}</xml>", "x".repeat(DEFAULT));
        assert!(matches!(p(&big), Err(WechatError::TooLarge { .. })));
        let many = format!("<xml>{}</xml>", "<a/>".repeat(5000));
        assert!(p(&many).is_err());
        let small = XmlLimits::with_max_bytes(10);
        assert!(parse(b"<xml>12345678</xml>", &small).is_err());
    }
    const DEFAULT: usize = super::super::DEFAULT_MAX_BYTES;
}
