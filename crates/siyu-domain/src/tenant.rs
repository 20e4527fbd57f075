//! Tenant value objects.

use crate::DomainError;

/// A merchant's display name: trimmed, 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantName(String);

impl TenantName {
    /// Parses a name typed by a person.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim();
        let n = t.chars().count();
        if n == 0 {
            return Err(DomainError::new("name", "must not be empty"));
        }
        if n > 100 {
            return Err(DomainError::new("name", "must be at most 100 characters"));
        }
        if t.chars().any(char::is_control) {
            return Err(DomainError::new(
                "name",
                "must not contain control characters",
            ));
        }
        Ok(Self(t.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(
            TenantName::parse("  小王咖啡 ").unwrap().as_str(),
            "小王咖啡"
        );
        assert!(TenantName::parse("   ").is_err());
        assert!(TenantName::parse(&"店".repeat(101)).is_err());
        assert!(TenantName::parse("a\u{7}b").is_err());
    }
}
