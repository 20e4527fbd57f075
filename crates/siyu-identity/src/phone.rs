//! China mobile numbers normalised to E.164 (`+86` and 11 digits starting with 1[3-9]).
//!
//! Errors say what is wrong without repeating the number: phone numbers are personal data and
//! error messages end up in logs.

use thiserror::Error;

/// Why a text is not a China mobile number.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneError {
    /// Nothing left after trimming.
    #[error("phone number is empty")]
    Empty,
    /// A character that is neither a digit, a leading '+', nor a separator (space, '-', '.', '(', ')').
    #[error("phone number contains '{0}'; only digits, a leading '+' and separators are allowed")]
    Character(char),
    /// An international number outside China.
    #[error("phone number does not start with +86; only China mobile numbers are accepted")]
    NotChina,
    /// Starts with 0 (an area code) or has 7–8 digits: a landline, not a mobile.
    #[error(
        "phone number looks like a landline; a China mobile number has 11 digits starting with 1"
    )]
    Landline,
    /// The national part does not have 11 digits.
    #[error("phone number has {0} digits; a China mobile number has 11")]
    Length(usize),
    /// 11 digits, but not starting with 13–19.
    #[error("phone number does not start with 13 to 19, so it is not a China mobile number")]
    NotMobile,
}

/// Maps full-width digits and plus (common from Chinese input methods) to ASCII.
fn ascii_fold(c: char) -> char {
    match c {
        '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
        '＋' => '+',
        other => other,
    }
}

/// Normalises a China mobile number to `+86XXXXXXXXXXX`.
///
/// Accepts `138 1234 5678`, `138-1234-5678`, `+86 138…`, `+86-138…`, `0086138…`, `86138…`
/// (13 digits) and full-width digits.
pub fn normalise(raw: &str) -> Result<String, PhoneError> {
    let mut plus = false;
    let mut digits = String::with_capacity(16);
    for c in raw.trim().chars().map(ascii_fold) {
        match c {
            '0'..='9' => digits.push(c),
            '+' if !plus && digits.is_empty() => plus = true,
            ' ' | '-' | '.' | '(' | ')' | '\u{3000}' | '\t' => {}
            other => return Err(PhoneError::Character(other)),
        }
    }
    if digits.is_empty() {
        return Err(PhoneError::Empty);
    }
    let national = if plus {
        digits.strip_prefix("86").ok_or(PhoneError::NotChina)?
    } else if let Some(rest) = digits.strip_prefix("0086") {
        rest
    } else if digits.len() == 13 && digits.starts_with("86") {
        &digits[2..]
    } else if digits.starts_with("00") {
        return Err(PhoneError::NotChina);
    } else {
        &digits
    };
    // An area code (0 domestically, 2–9 after +86) or a 7–8 digit local number: a landline.
    let area_code = !national.starts_with('1') && (9..=11).contains(&national.len());
    if national.starts_with('0') || area_code || (7..=8).contains(&national.len()) {
        return Err(PhoneError::Landline);
    }
    if national.len() != 11 {
        return Err(PhoneError::Length(national.len()));
    }
    let second = national.as_bytes().get(1).copied().unwrap_or(b'0');
    if !national.starts_with('1') || !(b'3'..=b'9').contains(&second) {
        return Err(PhoneError::NotMobile);
    }
    Ok(format!("+86{national}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_usual_spellings() {
        for raw in [
            "13812345678",
            " 138 1234 5678 ",
            "138-1234-5678",
            "+86 138 1234 5678",
            "+86-13812345678",
            "(+86) 138.1234.5678",
            "008613812345678",
            "8613812345678",
            "１３８１２３４５６７８",
        ] {
            assert_eq!(normalise(raw).as_deref(), Ok("+8613812345678"), "{raw}");
        }
    }

    #[test]
    fn rejects_with_a_reason() {
        assert_eq!(normalise("  "), Err(PhoneError::Empty));
        assert_eq!(normalise("138x1234"), Err(PhoneError::Character('x')));
        assert_eq!(normalise("+1 415 555 2671"), Err(PhoneError::NotChina));
        assert_eq!(normalise("001 415 555 2671"), Err(PhoneError::NotChina));
        assert_eq!(normalise("010-12345678"), Err(PhoneError::Landline));
        assert_eq!(normalise("62345678"), Err(PhoneError::Landline));
        assert_eq!(normalise("+86 21 6234 5678"), Err(PhoneError::Landline));
        assert_eq!(normalise("+86 755 1234 5678"), Err(PhoneError::Landline));
        assert_eq!(normalise("1381234567"), Err(PhoneError::Length(10)));
        assert_eq!(normalise("12812345678"), Err(PhoneError::NotMobile));
        assert_eq!(normalise("123456"), Err(PhoneError::Length(6)));
    }

    #[test]
    fn errors_never_repeat_the_number() {
        let msg = normalise("1381234567").unwrap_err().to_string();
        assert!(!msg.contains("1381234567"), "{msg}");
    }
}
