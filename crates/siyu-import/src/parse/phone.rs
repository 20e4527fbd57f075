//! Mainland China mobile numbers, normalised to E.164 (`+8613800138000`).

use serde::Serialize;

use super::{halfwidth, is_scientific, strip_apostrophe, EXCEL_MANGLED};

/// A mainland China mobile number in E.164 form; it can only exist valid.
///
/// `Debug` masks the middle digits so a logged record never carries a full number (PIPL).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

/// Why a phone cell does not yield a [`Phone`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneProblem {
    /// The platform masked the number (`138****5678`): not an error, but not an identity either.
    Masked,
    /// The text is not a mainland mobile number; the message says why.
    Invalid(String),
}

impl Phone {
    /// Normalises `raw`: spaces, dashes, dots and brackets are dropped; `+86`, `0086` and `86`
    /// prefixes are accepted; the rest must be 11 digits starting 13–19.
    pub fn parse(raw: &str) -> Result<Phone, PhoneProblem> {
        let text = halfwidth(raw);
        let s = strip_apostrophe(text.trim());
        if s.contains('*') || s.contains('＊') {
            return Err(PhoneProblem::Masked);
        }
        if is_scientific(s) {
            return Err(PhoneProblem::Invalid(EXCEL_MANGLED.to_string()));
        }
        let (plus, body) = match s.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        if !body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
        {
            return Err(PhoneProblem::Invalid(format!(
                "\"{raw}\" is not a phone number; write 11 digits such as 13800138000"
            )));
        }
        let digits: String = body.chars().filter(char::is_ascii_digit).collect();
        let national = if let Some(rest) = digits.strip_prefix("0086") {
            rest
        } else if digits.len() == 13 && digits.starts_with("86") {
            &digits[2..]
        } else if plus {
            digits.strip_prefix("86").ok_or_else(|| {
                PhoneProblem::Invalid(format!(
                    "\"{raw}\" is not a mainland China number (+86); only mainland mobiles are supported"
                ))
            })?
        } else {
            &digits
        };
        let b = national.as_bytes();
        if b.first() == Some(&b'0') {
            return Err(PhoneProblem::Invalid(format!(
                "\"{raw}\" looks like a landline; only a mobile number identifies a customer"
            )));
        }
        if b.len() != 11 {
            return Err(PhoneProblem::Invalid(format!(
                "\"{raw}\" has {} digits; a mainland mobile number has 11, such as 13800138000",
                b.len()
            )));
        }
        if b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
            return Err(PhoneProblem::Invalid(format!(
                "\"{raw}\" is not a mobile number; mainland mobiles start with 13–19"
            )));
        }
        Ok(Phone(format!("+86{national}")))
    }

    /// The E.164 text, e.g. `+8613800138000`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.0;
        write!(f, "Phone({}****{})", &s[..6], &s[s.len() - 4..])
    }
}

impl std::fmt::Display for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        Phone::parse(s).unwrap().as_str().to_string()
    }

    #[test]
    fn prefixes_and_separators_are_accepted() {
        for raw in [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "+86 138 0013 8000",
            "+8613800138000",
            "008613800138000",
            "8613800138000",
            "'13800138000",
            "１３８００１３８０００",
        ] {
            assert_eq!(ok(raw), "+8613800138000", "{raw}");
        }
    }

    #[test]
    fn masked_numbers_are_not_identities() {
        assert_eq!(Phone::parse("138****5678"), Err(PhoneProblem::Masked));
    }

    #[test]
    fn bad_numbers_say_why() {
        for raw in [
            "12800138000",
            "1380013800",
            "0551-65123456",
            "+1 415 555 0100",
            "abc",
            "1.38001E+10",
        ] {
            assert!(
                matches!(Phone::parse(raw), Err(PhoneProblem::Invalid(_))),
                "{raw}"
            );
        }
    }

    #[test]
    fn debug_masks_the_number() {
        let p = Phone::parse("13800138000").unwrap();
        assert_eq!(format!("{p:?}"), "Phone(+86138****8000)");
    }
}
