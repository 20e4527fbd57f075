//! Newtype identifiers. Each id carries a short prefix so a tenant id can never be mistaken
//! for a staff id in logs, URLs or the API.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::DomainError;

const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// 20 random characters from a Crockford-style alphabet (100 bits of entropy).
fn random_suffix() -> String {
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// 20 characters that sort after those made at an earlier millisecond: the time `at_ms` in
/// 10 characters of the same alphabet, then 10 random ones (50 bits). Rows keyed by such ids
/// are appended to the end of their indexes instead of scattered across them.
pub fn ordered_suffix(at_ms: i64) -> String {
    let mut t = u64::try_from(at_ms).unwrap_or(0);
    let mut time = [0u8; 10];
    for c in time.iter_mut().rev() {
        *c = ALPHABET[(t % 32) as usize];
        t /= 32;
    }
    let mut rng = rand::thread_rng();
    time.iter()
        .copied()
        .chain((0..10).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .map(char::from)
        .collect()
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The prefix every id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// A fresh random id.
            pub fn generate() -> Self {
                Self(format!("{}_{}", $prefix, random_suffix()))
            }

            /// Parses an id received from outside; rejects anything without the right prefix.
            pub fn parse(s: &str) -> Result<Self, DomainError> {
                let ok = s
                    .strip_prefix(concat!($prefix, "_"))
                    .is_some_and(|rest| {
                        !rest.is_empty()
                            && rest.len() <= 40
                            && rest.bytes().all(|b| b.is_ascii_alphanumeric())
                    });
                if ok {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(DomainError::new(
                        "id",
                        format!("'{s}' is not a valid {} id", $prefix),
                    ))
                }
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

id_type!(
    /// A merchant (tenant) on the platform.
    TenantId,
    "tn"
);
id_type!(
    /// A staff account: owner, operator, clerk or platform admin.
    StaffId,
    "st"
);
id_type!(
    /// An API key (the id, not the secret).
    ApiKeyId,
    "ak"
);
id_type!(
    /// A background job.
    JobId,
    "jb"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back() {
        let id = TenantId::generate();
        assert_eq!(TenantId::parse(id.as_str()).unwrap(), id);
        assert!(id.as_str().starts_with("tn_"));
    }

    #[test]
    fn ordered_suffixes_sort_by_time() {
        let (a, b) = (
            ordered_suffix(1_765_000_000_000),
            ordered_suffix(1_765_000_000_001),
        );
        assert_eq!(a.len(), 20);
        assert!(a < b, "{a} < {b}");
        assert!(ordered_suffix(999) < ordered_suffix(1_000));
        assert_ne!(ordered_suffix(5)[10..], ordered_suffix(5)[10..]);
        let id = format!("jb_{a}");
        assert_eq!(JobId::parse(&id).unwrap().as_str(), id);
    }

    #[test]
    fn wrong_prefix_is_rejected() {
        let staff = StaffId::generate();
        assert!(TenantId::parse(staff.as_str()).is_err());
        assert!(TenantId::parse("tn_").is_err());
        assert!(TenantId::parse("tn_a b").is_err());
    }
}
