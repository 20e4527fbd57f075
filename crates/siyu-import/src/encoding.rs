//! Text encodings of CSV exports and how to tell them apart.
//!
//! Chinese exports come in three shapes: UTF-8 (often with a BOM, as Excel and JD write it), GBK
//! (Taobao's 订单报表, anything saved by Excel on a Chinese Windows), and occasionally UTF-16 with
//! a BOM (Excel's "Unicode text"). A BOM decides; otherwise the first [`SNIFF_BYTES`] are checked
//! for UTF-8 validity and anything else is read as GB18030, the superset of GBK and GB2312.

/// How many leading bytes are checked when guessing the encoding.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// A text encoding a CSV file can be read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    /// UTF-8, with or without a BOM.
    Utf8,
    /// GBK / GB2312 / GB18030 (read with the GB18030 decoder, which covers all three).
    Gb18030,
    /// UTF-16, little endian (Excel's "Unicode text").
    Utf16Le,
    /// UTF-16, big endian.
    Utf16Be,
}

impl TextEncoding {
    /// Parses a user's choice such as `utf-8`, `gbk`, `gb2312`, `gb18030`, `utf-16le`.
    pub fn parse(name: &str) -> Option<TextEncoding> {
        let n = name.trim().to_ascii_lowercase().replace(['-', '_'], "");
        match n.as_str() {
            "utf8" | "utf8bom" => Some(TextEncoding::Utf8),
            "gbk" | "gb2312" | "gb18030" | "cp936" | "936" => Some(TextEncoding::Gb18030),
            "utf16" | "utf16le" | "unicode" => Some(TextEncoding::Utf16Le),
            "utf16be" => Some(TextEncoding::Utf16Be),
            _ => None,
        }
    }

    /// A short name for messages, e.g. `GBK`.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Gb18030 => "GBK",
            TextEncoding::Utf16Le => "UTF-16LE",
            TextEncoding::Utf16Be => "UTF-16BE",
        }
    }

    /// The `encoding_rs` decoder for this encoding.
    pub fn encoding_rs(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Utf8 => encoding_rs::UTF_8,
            TextEncoding::Gb18030 => encoding_rs::GB18030,
            TextEncoding::Utf16Le => encoding_rs::UTF_16LE,
            TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
        }
    }
}

impl std::fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The encoding announced by a byte-order mark at the start of `head`, if any.
pub fn bom(head: &[u8]) -> Option<TextEncoding> {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        Some(TextEncoding::Utf8)
    } else if head.starts_with(&[0xFF, 0xFE]) {
        Some(TextEncoding::Utf16Le)
    } else if head.starts_with(&[0xFE, 0xFF]) {
        Some(TextEncoding::Utf16Be)
    } else {
        None
    }
}

/// Guesses the encoding of a file from its first bytes: a BOM decides, then UTF-8 validity,
/// then GB18030. `truncated` says `head` stops mid-file, so a multi-byte character cut at the end
/// is not held against UTF-8.
pub fn detect(head: &[u8], truncated: bool) -> TextEncoding {
    if let Some(enc) = bom(head) {
        return enc;
    }
    match std::str::from_utf8(head) {
        Ok(_) => TextEncoding::Utf8,
        // `error_len() == None` means the input ended inside a character.
        Err(e) if truncated && e.error_len().is_none() => TextEncoding::Utf8,
        Err(_) => TextEncoding::Gb18030,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_decides() {
        assert_eq!(detect(b"\xEF\xBB\xBF\xB6\xA9", false), TextEncoding::Utf8);
        assert_eq!(detect(b"\xFF\xFEa\0", false), TextEncoding::Utf16Le);
    }

    #[test]
    fn gbk_falls_back_and_utf8_stays() {
        let (gbk, _, _) = encoding_rs::GBK.encode("订单编号,买家会员名");
        assert_eq!(detect(&gbk, false), TextEncoding::Gb18030);
        assert_eq!(detect("订单编号".as_bytes(), false), TextEncoding::Utf8);
        assert_eq!(detect(b"order,amount", false), TextEncoding::Utf8);
    }

    #[test]
    fn a_character_cut_at_the_sniff_limit_is_still_utf8() {
        let bytes = "订单".as_bytes();
        let cut = &bytes[..bytes.len() - 1];
        assert_eq!(detect(cut, true), TextEncoding::Utf8);
        assert_eq!(detect(cut, false), TextEncoding::Gb18030);
    }

    #[test]
    fn names_parse() {
        assert_eq!(TextEncoding::parse("GBK"), Some(TextEncoding::Gb18030));
        assert_eq!(TextEncoding::parse("utf-8"), Some(TextEncoding::Utf8));
        assert_eq!(TextEncoding::parse("latin1"), None);
    }
}
