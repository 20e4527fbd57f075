//! The kinds of identity a customer can have, and the scope (app or namespace) some kinds carry.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What is wrong with a kind name or scope received from outside.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KindError {
    /// The name is none of the known kinds.
    #[error("unknown identity kind '{0}'; expected one of unionid, openid, phone, email, taobao, jd, weibo, member_card, external")]
    Unknown(String),
    /// `openid` and `external` need a scope (the app id or the namespace).
    #[error("identity kind '{0}' needs a scope ({1})")]
    MissingScope(&'static str, &'static str),
    /// Only `openid` and `external` take a scope.
    #[error("identity kind '{0}' takes no scope")]
    UnexpectedScope(&'static str),
    /// The scope is empty, too long or has characters other than letters, digits, `_`, `-`, `.`.
    #[error("scope must be 1 to {max} characters of letters, digits, '_', '-' or '.'", max = Scope::MAX_LEN)]
    BadScope,
}

/// The app id of an openid (an Official Account or mini program) or the namespace of a
/// tenant-defined external id. Only exists valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Scope(String);

impl Scope {
    /// Longest accepted scope, in bytes.
    pub const MAX_LEN: usize = 64;

    /// Parses a scope: 1 to 64 ASCII letters, digits, `_`, `-` or `.`, after trimming.
    pub fn parse(raw: &str) -> Result<Self, KindError> {
        let s = raw.trim();
        let ok = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(KindError::BadScope)
        }
    }

    /// The scope as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Scope {
    type Error = KindError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Scope> for String {
    fn from(s: Scope) -> String {
        s.0
    }
}

/// A typed identity kind. Unique kinds (see [`IdentityKind::is_unique`]) are never held twice
/// by one profile with different values, and each of their values belongs to one profile.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "KindRepr", into = "KindRepr")]
pub enum IdentityKind {
    /// WeChat unionid: one per person across all apps of one WeChat Open Platform account.
    Unionid,
    /// WeChat openid, per Official Account or mini program app.
    Openid {
        /// The app the openid belongs to.
        app_id: Scope,
    },
    /// A China mobile number in E.164 form.
    Phone,
    /// An email address, lowercased.
    Email,
    /// A Taobao / Tmall buyer nick.
    Taobao,
    /// A JD pin.
    Jd,
    /// A Weibo uid.
    Weibo,
    /// A membership card number issued by the merchant.
    MemberCard,
    /// A tenant-defined external id in a namespace of the tenant's choosing.
    External {
        /// The tenant's name for the id system.
        namespace: Scope,
    },
}

impl IdentityKind {
    /// Whether a profile may hold at most one value of this kind (unionid, openid per app,
    /// member card). Such values never merge two profiles that would then hold two values.
    pub fn is_unique(&self) -> bool {
        matches!(self, Self::Unionid | Self::Openid { .. } | Self::MemberCard)
    }

    /// Whether the kind carries the cardinality guard (phone, email): a value already held by
    /// the policy's shared threshold of profiles is shared and links nothing more. Such values
    /// are weak evidence: on their own they never put a second Taobao, JD, Weibo or external id
    /// on a profile that already has one.
    pub fn is_guarded(&self) -> bool {
        matches!(self, Self::Phone | Self::Email)
    }

    /// The kind's name as the API spells it (`unionid`, `openid`, `member_card`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Unionid => "unionid",
            Self::Openid { .. } => "openid",
            Self::Phone => "phone",
            Self::Email => "email",
            Self::Taobao => "taobao",
            Self::Jd => "jd",
            Self::Weibo => "weibo",
            Self::MemberCard => "member_card",
            Self::External { .. } => "external",
        }
    }

    /// The app id of an openid or the namespace of an external id; `None` for other kinds.
    pub fn scope(&self) -> Option<&Scope> {
        match self {
            Self::Openid { app_id } => Some(app_id),
            Self::External { namespace } => Some(namespace),
            _ => None,
        }
    }

    /// Parses the API's two fields, `kind` and the optional `scope`.
    pub fn parse(name: &str, scope: Option<&str>) -> Result<Self, KindError> {
        let plain = |kind: Self| match scope {
            None => Ok(kind),
            Some(_) => Err(KindError::UnexpectedScope(kind.name())),
        };
        match name.trim() {
            "unionid" => plain(Self::Unionid),
            "phone" => plain(Self::Phone),
            "email" => plain(Self::Email),
            "taobao" => plain(Self::Taobao),
            "jd" => plain(Self::Jd),
            "weibo" => plain(Self::Weibo),
            "member_card" => plain(Self::MemberCard),
            "openid" => match scope {
                Some(s) => Ok(Self::Openid {
                    app_id: Scope::parse(s)?,
                }),
                None => Err(KindError::MissingScope("openid", "the app id")),
            },
            "external" => match scope {
                Some(s) => Ok(Self::External {
                    namespace: Scope::parse(s)?,
                }),
                None => Err(KindError::MissingScope("external", "the namespace")),
            },
            other => Err(KindError::Unknown(other.chars().take(32).collect())),
        }
    }

    /// An openid kind for an app id, parsing the app id.
    pub fn openid(app_id: &str) -> Result<Self, KindError> {
        Ok(Self::Openid {
            app_id: Scope::parse(app_id)?,
        })
    }

    /// An external kind for a namespace, parsing the namespace.
    pub fn external(namespace: &str) -> Result<Self, KindError> {
        Ok(Self::External {
            namespace: Scope::parse(namespace)?,
        })
    }
}

/// `openid:wx123…` for scoped kinds, the bare name otherwise.
impl fmt::Display for IdentityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scope() {
            Some(scope) => write!(f, "{}:{}", self.name(), scope.as_str()),
            None => f.write_str(self.name()),
        }
    }
}

/// The wire form: `{"kind": "openid", "scope": "wx…"}`.
#[derive(Serialize, Deserialize)]
struct KindRepr {
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

impl TryFrom<KindRepr> for IdentityKind {
    type Error = KindError;
    fn try_from(r: KindRepr) -> Result<Self, Self::Error> {
        Self::parse(&r.kind, r.scope.as_deref())
    }
}

impl From<IdentityKind> for KindRepr {
    fn from(k: IdentityKind) -> Self {
        Self {
            kind: k.name().to_owned(),
            scope: k.scope().map(|s| s.as_str().to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_uniqueness() {
        for name in [
            "unionid",
            "phone",
            "email",
            "taobao",
            "jd",
            "weibo",
            "member_card",
        ] {
            let k = IdentityKind::parse(name, None).unwrap();
            assert_eq!(k.name(), name);
            assert_eq!(k.to_string(), name);
        }
        let o = IdentityKind::parse("openid", Some("wx1234")).unwrap();
        assert_eq!(o.to_string(), "openid:wx1234");
        assert!(o.is_unique() && IdentityKind::Unionid.is_unique());
        assert!(IdentityKind::MemberCard.is_unique() && !IdentityKind::Phone.is_unique());
        assert!(!IdentityKind::external("crm").unwrap().is_unique());
    }

    #[test]
    fn scope_rules_are_enforced() {
        assert_eq!(
            IdentityKind::parse("openid", None),
            Err(KindError::MissingScope("openid", "the app id"))
        );
        assert_eq!(
            IdentityKind::parse("phone", Some("x")),
            Err(KindError::UnexpectedScope("phone"))
        );
        assert_eq!(
            IdentityKind::parse("external", Some("a b")),
            Err(KindError::BadScope)
        );
        assert!(matches!(
            IdentityKind::parse("qq", None),
            Err(KindError::Unknown(_))
        ));
    }
}
