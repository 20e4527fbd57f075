//! Identity values, normalised per kind so that equal identities compare equal as text.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::kind::{IdentityKind, KindError};
use crate::phone::{self, PhoneError};

/// Longest accepted value, in bytes, for every kind but email.
pub const MAX_VALUE_LEN: usize = 128;
/// Longest accepted email address, in bytes (RFC 5321).
pub const MAX_EMAIL_LEN: usize = 254;

/// Why a raw text is not a valid identity of its kind. Messages never repeat the value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdentityError {
    /// The kind itself did not parse.
    #[error(transparent)]
    Kind(#[from] KindError),
    /// Not a China mobile number.
    #[error(transparent)]
    Phone(#[from] PhoneError),
    /// Not shaped like an email address.
    #[error("email address {0}")]
    Email(&'static str),
    /// Nothing left after trimming.
    #[error("{0} is empty")]
    Empty(&'static str),
    /// Longer than the kind allows.
    #[error("{kind} is longer than {max} bytes")]
    TooLong {
        /// The kind's name.
        kind: &'static str,
        /// The limit.
        max: usize,
    },
    /// Contains a control character, or a character the kind does not allow.
    #[error("{0} contains a character it cannot contain")]
    Character(&'static str),
}

/// A normalised identity value. Only exists valid for the kind it was parsed for, so it has no
/// public constructor but [`Identity::parse`]. `Debug` masks the middle (values are personal data).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityValue(String);

impl IdentityValue {
    /// The normalised value, e.g. `+8613812345678` for a phone.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value with its middle hidden, for logs and review screens.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        let n = chars.len();
        if n <= 4 {
            return "*".repeat(n);
        }
        let (head, tail) = if n >= 10 { (n / 3, 4) } else { (1, 1) };
        let mut out: String = chars[..head].iter().collect();
        out.push_str("****");
        out.extend(&chars[n - tail..]);
        out
    }
}

impl fmt::Debug for IdentityValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// One identity of a customer: a kind and its normalised value.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "IdentityRepr", into = "IdentityRepr")]
pub struct Identity {
    kind: IdentityKind,
    value: IdentityValue,
}

impl Identity {
    /// Parses and normalises `raw` as a value of `kind`: phone to E.164, email lowercased,
    /// everything trimmed; WeChat ids must be ASCII letters, digits, `_` or `-`.
    pub fn parse(kind: IdentityKind, raw: &str) -> Result<Self, IdentityError> {
        let value = normalise(&kind, raw)?;
        Ok(Self {
            kind,
            value: IdentityValue(value),
        })
    }

    /// Parses the API's three fields: kind name, optional scope and raw value.
    pub fn parse_parts(kind: &str, scope: Option<&str>, raw: &str) -> Result<Self, IdentityError> {
        Self::parse(IdentityKind::parse(kind, scope)?, raw)
    }

    /// The identity's kind.
    pub fn kind(&self) -> &IdentityKind {
        &self.kind
    }

    /// The normalised value.
    pub fn value(&self) -> &IdentityValue {
        &self.value
    }

    /// An identity whose value is an opaque token standing for the real one (a keyed hash of
    /// it), for graphs that must not hold personal data. The value is `#` and the token; it is
    /// kept as written, also when read back from JSON. Screen placeholders with
    /// [`Placeholders::screen`](crate::Placeholders::screen) on the real value first, because a
    /// token never looks like one.
    pub fn opaque(kind: IdentityKind, token: &str) -> Self {
        Self::from_trusted(kind, &format!("#{token}"))
    }

    /// Whether this is an [`opaque`](Self::opaque) token.
    pub fn is_opaque(&self) -> bool {
        self.value.0.starts_with('#')
    }

    /// Rebuilds an identity from a kind and an already normalised value (the graph's own store).
    pub(crate) fn from_trusted(kind: IdentityKind, value: &str) -> Self {
        Self {
            kind,
            value: IdentityValue(value.to_owned()),
        }
    }
}

/// `kind:masked-value`, safe for logs.
impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={:?}", self.kind, self.value)
    }
}

fn normalise(kind: &IdentityKind, raw: &str) -> Result<String, IdentityError> {
    let name = kind.name();
    let s = raw.trim();
    if s.is_empty() {
        return Err(IdentityError::Empty(name));
    }
    match kind {
        IdentityKind::Phone => Ok(phone::normalise(s)?),
        IdentityKind::Email => email(s),
        _ => {
            if s.len() > MAX_VALUE_LEN {
                return Err(IdentityError::TooLong {
                    kind: name,
                    max: MAX_VALUE_LEN,
                });
            }
            let wechat = matches!(kind, IdentityKind::Unionid | IdentityKind::Openid { .. });
            let bad = |c: char| {
                c.is_control() || (wechat && !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            };
            if s.chars().any(bad) {
                return Err(IdentityError::Character(name));
            }
            Ok(s.to_owned())
        }
    }
}

/// A basic shape check: one '@', a non-empty local part, a dotted domain, no spaces.
fn email(s: &str) -> Result<String, IdentityError> {
    if s.len() > MAX_EMAIL_LEN {
        return Err(IdentityError::TooLong {
            kind: "email",
            max: MAX_EMAIL_LEN,
        });
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(IdentityError::Email(
            "contains a space or control character",
        ));
    }
    let lower = s.to_lowercase();
    let (local, domain) = lower
        .split_once('@')
        .ok_or(IdentityError::Email("has no '@'"))?;
    if domain.contains('@') {
        return Err(IdentityError::Email("has more than one '@'"));
    }
    if local.is_empty() || local.len() > 64 {
        return Err(IdentityError::Email(
            "needs 1 to 64 characters before the '@'",
        ));
    }
    let labels_ok = domain.split('.').all(|l| {
        !l.is_empty() && !l.starts_with('-') && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    });
    if !domain.contains('.') || !labels_ok {
        return Err(IdentityError::Email(
            "needs a domain like example.com after the '@'",
        ));
    }
    Ok(lower)
}

/// The wire form: `{"kind": "openid", "scope": "wx…", "value": "o…"}`.
#[derive(Serialize, Deserialize)]
struct IdentityRepr {
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    value: String,
}

impl TryFrom<IdentityRepr> for Identity {
    type Error = IdentityError;
    fn try_from(r: IdentityRepr) -> Result<Self, Self::Error> {
        if r.value.starts_with('#') {
            let kind = IdentityKind::parse(&r.kind, r.scope.as_deref())?;
            return Ok(Self::from_trusted(kind, &r.value));
        }
        Self::parse_parts(&r.kind, r.scope.as_deref(), &r.value)
    }
}

impl From<Identity> for IdentityRepr {
    fn from(i: Identity) -> Self {
        Self {
            kind: i.kind.name().to_owned(),
            scope: i.kind.scope().map(|s| s.as_str().to_owned()),
            value: i.value.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(kind: &str, raw: &str) -> Result<String, IdentityError> {
        Identity::parse_parts(kind, None, raw).map(|i| i.value().as_str().to_owned())
    }

    #[test]
    fn opaque_tokens_survive_json() {
        let t = Identity::opaque(IdentityKind::Phone, "ABC123");
        assert!(t.is_opaque());
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r##"{"kind":"phone","value":"#ABC123"}"##);
        assert_eq!(serde_json::from_str::<Identity>(&json).unwrap(), t);
        assert!(!Identity::parse(IdentityKind::Phone, "13812345678")
            .unwrap()
            .is_opaque());
    }

    #[test]
    fn normalises_per_kind() {
        assert_eq!(
            parse("phone", "+86-138 1234 5678").unwrap(),
            "+8613812345678"
        );
        assert_eq!(
            parse("email", "  Li.Lei@Example.COM ").unwrap(),
            "li.lei@example.com"
        );
        assert_eq!(parse("taobao", "  小明的店 ").unwrap(), "小明的店");
        assert_eq!(parse("unionid", " oAbC_12-x ").unwrap(), "oAbC_12-x");
    }

    #[test]
    fn rejects_with_a_reason() {
        assert_eq!(
            parse("email", "a b@c.com"),
            Err(IdentityError::Email(
                "contains a space or control character"
            ))
        );
        assert_eq!(
            parse("email", "abc.com"),
            Err(IdentityError::Email("has no '@'"))
        );
        assert_eq!(
            parse("email", "a@b@c.com"),
            Err(IdentityError::Email("has more than one '@'"))
        );
        assert!(matches!(
            parse("email", "a@localhost"),
            Err(IdentityError::Email(_))
        ));
        assert_eq!(
            parse("unionid", "o 1"),
            Err(IdentityError::Character("unionid"))
        );
        assert_eq!(parse("jd", "   "), Err(IdentityError::Empty("jd")));
        assert!(matches!(
            parse("weibo", &"9".repeat(200)),
            Err(IdentityError::TooLong { .. })
        ));
        assert!(matches!(
            parse("phone", "021-1234567"),
            Err(IdentityError::Phone(_))
        ));
    }

    #[test]
    fn debug_masks_values_and_serde_round_trips() {
        let p = Identity::parse_parts("phone", None, "13812345678").unwrap();
        let shown = format!("{p:?}");
        assert!(!shown.contains("13812345678"), "{shown}");
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"{"kind":"phone","value":"+8613812345678"}"#);
        assert_eq!(serde_json::from_str::<Identity>(&json).unwrap(), p);
        let o = Identity::parse_parts("openid", Some("wx1"), "oX").unwrap();
        let back: Identity = serde_json::from_str(&serde_json::to_string(&o).unwrap()).unwrap();
        assert_eq!(back, o);
        assert!(serde_json::from_str::<Identity>(r#"{"kind":"phone","value":"12"}"#).is_err());
    }
}
