//! The error raised when a value fails to parse into a domain type.

/// A value that could not become a domain type; `field` names the input, `message` says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct DomainError {
    /// The input field the value came from (`login`, `role`, …).
    pub field: &'static str,
    /// What is wrong, in words a merchant can act on.
    pub message: String,
}

impl DomainError {
    /// Builds an error for `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
