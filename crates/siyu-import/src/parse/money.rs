//! Amounts of money as written in exports (`¥1,234.50`, `1234.5`, `59.00元`), parsed exactly into
//! integer fen. No float ever touches an amount: the digits are read as digits.

use siyu_domain::Fen;

use super::halfwidth;

/// Parses a non-negative amount in yuan with at most two decimals into fen.
pub fn parse_fen(raw: &str) -> Result<Fen, String> {
    let text = halfwidth(raw);
    let mut s = text.trim();
    for prefix in ["¥", "￥", "RMB", "CNY"] {
        s = s.strip_prefix(prefix).unwrap_or(s).trim_start();
    }
    s = s.strip_suffix('元').unwrap_or(s).trim_end();
    if s.starts_with('-') || s.ends_with('-') {
        return Err(format!(
            "\"{raw}\" is negative; an amount must be 0 or more"
        ));
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 2 {
        return Err(format!(
            "\"{raw}\" has more than two decimals; amounts are in yuan with at most fen (0.01)"
        ));
    }
    if !valid_grouping(whole)
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (whole.is_empty() && frac.is_empty())
    {
        return Err(format!(
            "\"{raw}\" is not an amount; write it like 1234.50 or ¥1,234.50"
        ));
    }
    let digits: String = whole.chars().filter(|c| *c != ',').collect();
    let yuan: i64 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| too_large(raw))?
    };
    let fen_part: i64 = match frac.len() {
        0 => 0,
        1 => i64::from(frac.as_bytes()[0] - b'0') * 10,
        _ => frac.parse().map_err(|_| too_large(raw))?,
    };
    yuan.checked_mul(100)
        .and_then(|f| f.checked_add(fen_part))
        .map(Fen)
        .ok_or_else(|| too_large(raw))
}

fn too_large(raw: &str) -> String {
    format!("\"{raw}\" is too large to be an amount")
}

/// Digits, optionally grouped by commas in threes (`1,234,567`).
fn valid_grouping(whole: &str) -> bool {
    if !whole.contains(',') {
        return whole.bytes().all(|b| b.is_ascii_digit());
    }
    let mut groups = whole.split(',');
    let first = groups.next().unwrap_or("");
    (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly() {
        assert_eq!(parse_fen("¥1,234.50"), Ok(Fen(123_450)));
        assert_eq!(parse_fen("￥1,234.5"), Ok(Fen(123_450)));
        assert_eq!(parse_fen("1234.5"), Ok(Fen(123_450)));
        assert_eq!(parse_fen("1234"), Ok(Fen(123_400)));
        assert_eq!(parse_fen("0.07"), Ok(Fen(7)));
        assert_eq!(parse_fen("59.00元"), Ok(Fen(5900)));
        assert_eq!(parse_fen("１２.３"), Ok(Fen(1230)));
        assert_eq!(parse_fen(".5"), Ok(Fen(50)));
        assert_eq!(parse_fen("0"), Ok(Fen(0)));
        // 0.1 + 0.2 style drift is impossible: these are digits, not floats.
        assert_eq!(parse_fen("19.99"), Ok(Fen(1999)));
    }

    #[test]
    fn bad_amounts_are_refused() {
        assert!(parse_fen("-5.00").unwrap_err().contains("negative"));
        assert!(parse_fen("¥-5").unwrap_err().contains("negative"));
        assert!(parse_fen("1.234").unwrap_err().contains("two decimals"));
        assert!(parse_fen("12,34.00").is_err());
        assert!(parse_fen("abc").is_err());
        assert!(parse_fen("¥").is_err());
        assert!(parse_fen("1e3").is_err());
        assert!(parse_fen("99999999999999999999")
            .unwrap_err()
            .contains("too large"));
    }
}
