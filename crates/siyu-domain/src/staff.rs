//! Staff accounts: roles, logins and password rules.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// What a staff account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the merchant: everything, including staff and settings.
    Owner,
    /// Day-to-day operations: channels, segments, pushes, shop.
    Operator,
    /// A store clerk or associate: redeems vouchers, sees their own figures.
    Clerk,
    /// The platform operator: supervises all tenants; belongs to no tenant.
    PlatformAdmin,
}

impl Role {
    /// The stable text form stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Operator => "operator",
            Role::Clerk => "clerk",
            Role::PlatformAdmin => "platform_admin",
        }
    }

    /// Parses the text form; `platform-admin` is accepted as a spelling of `platform_admin`.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "owner" => Ok(Role::Owner),
            "operator" => Ok(Role::Operator),
            "clerk" => Ok(Role::Clerk),
            "platform_admin" | "platform-admin" => Ok(Role::PlatformAdmin),
            other => Err(DomainError::new(
                "role",
                format!("'{other}' is not a role; use owner, operator, clerk or platform_admin"),
            )),
        }
    }

    /// Whether this role belongs to a tenant (every role but the platform admin).
    pub fn is_tenant_role(self) -> bool {
        self != Role::PlatformAdmin
    }

    /// Whether this role may manage staff accounts, API keys and settings.
    pub fn can_manage_tenant(self) -> bool {
        self == Role::Owner
    }

    /// Whether this role may read the audit log and staff list.
    pub fn can_view_admin(self) -> bool {
        matches!(self, Role::Owner | Role::Operator)
    }
}

/// A login name: 3–64 characters of lowercase letters, digits, `.`, `_`, `-`, `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login(String);

impl Login {
    /// Parses a login; uppercase letters are folded to lowercase.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let l = s.trim().to_ascii_lowercase();
        if !(3..=64).contains(&l.len()) {
            return Err(DomainError::new("login", "must be 3 to 64 characters long"));
        }
        if !l
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b))
        {
            return Err(DomainError::new(
                "login",
                "may contain only letters, digits and . _ - @",
            ));
        }
        Ok(Self(l))
    }

    /// The login as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password that satisfies the policy (8–256 characters). Never printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Checks a proposed password against the policy.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let n = s.chars().count();
        if n < 8 {
            return Err(DomainError::new(
                "password",
                "must be at least 8 characters",
            ));
        }
        if n > 256 {
            return Err(DomainError::new(
                "password",
                "must be at most 256 characters",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The secret itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in [
            Role::Owner,
            Role::Operator,
            Role::Clerk,
            Role::PlatformAdmin,
        ] {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
        assert!(Role::parse("boss").is_err());
    }

    #[test]
    fn logins_are_normalised() {
        assert_eq!(Login::parse(" Alice@Shop ").unwrap().as_str(), "alice@shop");
        assert!(Login::parse("ab").is_err());
        assert!(Login::parse("a b c").is_err());
    }

    #[test]
    fn password_is_redacted() {
        let p = Password::parse("correct horse").unwrap();
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
        assert!(Password::parse("short").is_err());
    }
}
