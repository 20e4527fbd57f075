//! CDATA-safe XML writing helpers.

use std::fmt::{Display, Write};

/// Removes characters XML 1.0 cannot carry (most C0 controls, U+FFFE, U+FFFF).
pub fn sanitize(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().all(is_xml_char) {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.chars().filter(|&c| is_xml_char(c)).collect())
    }
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Appends `text` as CDATA; every `]]>` is split across two sections
/// (`]]` + `]]><![CDATA[` + `>`), and non-XML characters are dropped.
pub fn push_cdata(out: &mut String, text: &str) {
    out.push_str("<![CDATA[");
    out.push_str(&sanitize(text).replace("]]>", "]]]]><![CDATA[>"));
    out.push_str("]]>");
}

/// Appends `<name><![CDATA[text]]></name>`.
pub fn push_cdata_element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    push_cdata(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Appends `<name>value</name>` for bare values such as numbers (not escaped).
pub fn push_element(out: &mut String, name: &str, value: impl Display) {
    // Writing to a String cannot fail.
    let _ = write!(out, "<{name}>{value}</{name}>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_cdata_terminator() {
        let mut s = String::new();
        push_cdata_element(&mut s, "A", "x]]>y");
        assert_eq!(s, "<A><![CDATA[x]]]]><![CDATA[>y]]></A>");
        let el =
            crate::xml::parse(format!("<xml>{s}</xml>").as_bytes(), &Default::default()).unwrap();
        assert_eq!(el.child_text("A"), Some("x]]>y"));
    }

    #[test]
    fn drops_invalid_xml_chars() {
        assert_eq!(sanitize("a\u{0}b\u{1b}c\t😀"), "abc\t😀");
    }
}
