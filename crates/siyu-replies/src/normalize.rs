//! Text folding shared by the rule matcher and the knowledge base.
//!
//! Fans type on phone keyboards that switch freely between full-width (全角) and half-width
//! (半角) forms, so `ＶＩＰ`, `ｖｉｐ` and `vip` must be one keyword. Full Unicode NFKC would pull in
//! large tables for little gain: the forms that actually occur in chat are the full-width ASCII
//! block (U+FF01..=U+FF5E) and the ideographic space (U+3000), and folding those is enough.

/// Folds one character: full-width ASCII to ASCII, the ideographic space to a space.
#[must_use]
pub fn fold_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => {
            // The full-width block mirrors ASCII 0x21..=0x7E at a fixed offset.
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
        }
        _ => c,
    }
}

/// Normalises a message for keyword matching: folds widths, lower-cases, trims, and collapses
/// every run of whitespace into one ASCII space.
#[must_use]
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars().map(fold_width) {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width_ascii_and_case() {
        assert_eq!(normalize("ＶＩＰ会员"), "vip会员");
        assert_eq!(normalize("Ｗｉ－Ｆｉ密码？"), "wi-fi密码?");
        assert_eq!(normalize("ＡＢＣ１２３"), "abc123");
    }

    #[test]
    fn trims_and_collapses_whitespace() {
        assert_eq!(normalize("  退货 \t  流程\u{3000}"), "退货 流程");
        assert_eq!(normalize("\u{3000}\u{3000}"), "");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn folds_full_width_punctuation_but_not_cjk_or_emoji() {
        // '，' and '？' live in the full-width block; '。' and '、' are CJK punctuation proper.
        assert_eq!(normalize("你好，在吗？😀"), "你好,在吗?😀");
        assert_eq!(normalize("好的。谢谢、"), "好的。谢谢、");
    }
}
