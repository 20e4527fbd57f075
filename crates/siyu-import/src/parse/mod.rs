//! Parsers for the values found in export cells. Each returns the typed value or a message a
//! merchant can act on; none of them knows about rows, lines or presets.

pub mod attrs;
pub mod money;
pub mod phone;
pub mod region;
pub mod time;

/// Cleans a cell the way a person reads it: trims whitespace (including the ideographic space
/// and no-break space), unwraps Excel's text-forcing `="…"`, and treats placeholders such as `-`
/// or `null` as empty. Returns `None` for an empty cell.
pub fn clean(raw: &str) -> Option<&str> {
    let mut s = trim(raw);
    if let Some(inner) = s.strip_prefix("=\"").and_then(|r| r.strip_suffix('"')) {
        s = trim(inner);
    }
    match s {
        "" | "-" | "--" | "null" | "NULL" | "Null" | "N/A" | "n/a" => None,
        _ => Some(s),
    }
}

/// Trims ASCII and CJK whitespace plus a stray BOM.
pub fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}' || c == '\u{3000}')
}

/// Removes the leading apostrophe Excel users type to keep digits as text (`'13800138000`).
pub fn strip_apostrophe(s: &str) -> &str {
    s.strip_prefix(['\'', '‘', '’', '`']).map_or(s, trim)
}

/// Maps full-width digits and punctuation (`１２３．５`) to ASCII; other characters are kept.
pub fn halfwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// Whether `s` is a number Excel has printed in scientific notation (`1.38001E+10`), which
/// means its digits were lost when the file passed through Excel.
pub fn is_scientific(s: &str) -> bool {
    let Some((mantissa, exp)) = s.split_once(['E', 'e']) else {
        return false;
    };
    let exp = exp.strip_prefix('+').unwrap_or(exp);
    !mantissa.is_empty()
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.starts_with(|c: char| c.is_ascii_digit())
        && !exp.is_empty()
        && exp.chars().all(|c| c.is_ascii_digit())
}

/// The message for an id or phone that Excel turned into a rounded number.
pub const EXCEL_MANGLED: &str =
    "Excel has turned this into a rounded number (scientific notation) \
     and its last digits are lost; re-export the file, or format the column as Text before saving";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_cleaned() {
        assert_eq!(clean("  张三\u{3000}"), Some("张三"));
        assert_eq!(
            clean("=\"3412345678901234567\""),
            Some("3412345678901234567")
        );
        assert_eq!(clean(" - "), None);
        assert_eq!(clean("null"), None);
        assert_eq!(strip_apostrophe("'13800138000"), "13800138000");
        assert_eq!(halfwidth("１２３．５０"), "123.50");
    }

    #[test]
    fn scientific_notation_is_spotted() {
        assert!(is_scientific("1.38001E+10"));
        assert!(is_scientific("3.41234567890123E18"));
        assert!(!is_scientific("E10"));
        assert!(!is_scientific("VIP1E5X"));
        assert!(!is_scientific("13800138000"));
    }
}
