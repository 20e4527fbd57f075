//! Placeholder values ("null", "0", 13800138000, …) that forms and exports fill in when the real
//! value is unknown. A placeholder never links anything: two customers who both typed
//! 13800000000 are not one customer.

use serde::{Deserialize, Serialize};

use crate::kind::IdentityKind;
use crate::value::{Identity, IdentityError};

/// The configurable placeholder rules of one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Placeholders {
    /// Values treated as placeholders for every kind, compared as written (the value is
    /// trimmed) ignoring ASCII case.
    pub texts: Vec<String>,
    /// Test phone numbers, in E.164 form.
    pub phones: Vec<String>,
    /// A phone whose last `repeated_tail` digits are all the same (138 0000 0000) is a
    /// placeholder; 0 turns the rule off.
    pub repeated_tail: u8,
    /// A phone ending in 12345678 or 87654321 is a placeholder. Off by default: such numbers
    /// are real (and are what documentation examples use), so only a tenant that sees them
    /// typed as filler should turn it on.
    pub sequential_tail: bool,
}

impl Default for Placeholders {
    fn default() -> Self {
        let texts = [
            "",
            "null",
            "undefined",
            "none",
            "nil",
            "0",
            "-",
            "n/a",
            "test",
            "无",
            "空",
            "test@test.com",
            "test@example.com",
        ];
        Self {
            texts: texts.iter().map(|s| (*s).to_owned()).collect(),
            phones: ["+8613800000000", "+8613800138000", "+8611111111111"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            repeated_tail: 8,
            sequential_tail: false,
        }
    }
}

impl Placeholders {
    /// No placeholder rules at all.
    pub fn none() -> Self {
        Self {
            texts: Vec::new(),
            phones: Vec::new(),
            repeated_tail: 0,
            sequential_tail: false,
        }
    }

    /// Whether a raw text (before parsing) is a placeholder for any kind.
    pub fn is_placeholder_text(&self, raw: &str) -> bool {
        let s = raw.trim();
        self.texts
            .iter()
            .any(|t| t.len() == s.len() && t.eq_ignore_ascii_case(s))
    }

    /// Whether a parsed identity is a placeholder.
    pub fn is_placeholder(&self, identity: &Identity) -> bool {
        let v = identity.value().as_str();
        if self.is_placeholder_text(v) {
            return true;
        }
        if *identity.kind() != IdentityKind::Phone {
            return false;
        }
        if self.phones.iter().any(|p| p == v) {
            return true;
        }
        let digits = v.as_bytes();
        let n = usize::from(self.repeated_tail).min(digits.len());
        if n >= 2 {
            let tail = &digits[digits.len() - n..];
            if tail.iter().all(|&d| d == tail[0]) {
                return true;
            }
        }
        self.sequential_tail && (v.ends_with("12345678") || v.ends_with("87654321"))
    }

    /// Parses a raw value of `kind` at the edge: `Ok(None)` for a placeholder (also when the
    /// placeholder would not parse, like a phone "null"), `Err` for a value that is simply
    /// invalid.
    pub fn screen(&self, kind: IdentityKind, raw: &str) -> Result<Option<Identity>, IdentityError> {
        if self.is_placeholder_text(raw) {
            return Ok(None);
        }
        let identity = Identity::parse(kind, raw)?;
        Ok((!self.is_placeholder(&identity)).then_some(identity))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(raw: &str) -> Identity {
        Identity::parse(IdentityKind::Phone, raw).unwrap()
    }

    #[test]
    fn default_rules() {
        let p = Placeholders::default();
        for raw in ["", " NULL ", "undefined", "None", "0", "-", "N/A", "无"] {
            assert_eq!(p.screen(IdentityKind::Phone, raw), Ok(None), "{raw:?}");
            assert_eq!(p.screen(IdentityKind::Taobao, raw), Ok(None), "{raw:?}");
        }
        for raw in ["13800000000", "13800138000", "13888888888"] {
            assert!(p.is_placeholder(&phone(raw)), "{raw}");
        }
        assert!(!p.is_placeholder(&phone("13812345679")));
        assert!(!p.is_placeholder(&phone("13812345678")));
        let strict = Placeholders {
            sequential_tail: true,
            ..Placeholders::default()
        };
        assert!(strict.is_placeholder(&phone("13912345678")));
        assert!(strict.is_placeholder(&phone("+86 186 8765 4321")));
        assert!(!p.is_placeholder(&phone("13800000001")));
        assert!(p.screen(IdentityKind::Phone, "12").is_err());
        assert!(p
            .screen(IdentityKind::Phone, "13812345679")
            .unwrap()
            .is_some());
    }

    #[test]
    fn rules_are_configurable() {
        let mut p = Placeholders::none();
        assert!(!p.is_placeholder(&phone("13800000000")));
        p.texts.push("VIP".into());
        assert_eq!(p.screen(IdentityKind::MemberCard, "vip"), Ok(None));
        p.phones.push("+8613912340000".into());
        assert!(p.is_placeholder(&phone("139 1234 0000")));
    }
}
