//! Money is integer fen (分). There is no float anywhere near a price.

use serde::{Deserialize, Serialize};

/// An amount in fen (1 yuan = 100 fen).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    /// Zero fen.
    pub const ZERO: Fen = Fen(0);

    /// Adds two amounts, failing instead of wrapping on overflow.
    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    /// Subtracts, failing instead of wrapping on overflow.
    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }
}

impl std::fmt::Display for Fen {
    /// Formats as yuan with two decimals, e.g. `¥12.30`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}¥{}.{:02}", abs / 100, abs % 100)
    }
}

/// Reads a plain decimal with at most two decimals (`12`, `12.5`, `12.`, `12.05`) as hundredths
/// (yuan as fen, percent as basis points); `None` for anything else, including signs and
/// grouping.
pub fn hundredths(s: &str) -> Option<i64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_yuan() {
        assert_eq!(Fen(1230).to_string(), "¥12.30");
        assert_eq!(Fen(-5).to_string(), "-¥0.05");
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), None);
    }

    #[test]
    fn hundredths_are_exact() {
        assert_eq!(hundredths("12"), Some(1200));
        assert_eq!(hundredths("12."), Some(1200));
        assert_eq!(hundredths("12.5"), Some(1250));
        assert_eq!(hundredths("0.05"), Some(5));
        for bad in ["", ".5", "1.234", "-1", "+1", "1,000", "1e3", "１２"] {
            assert_eq!(hundredths(bad), None, "{bad}");
        }
        assert_eq!(hundredths("92233720368547758.07"), Some(i64::MAX));
        assert_eq!(hundredths("92233720368547758.08"), None);
    }
}
