//! The storage error type: database failures translated into what the caller can act on.

/// What went wrong in the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (or belongs to another tenant).
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; the string names what collided.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database schema is not the one this build expects.
    #[error("{0}")]
    Schema(String),
    /// A stored value could not be read back into a domain type.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Any other database failure (connection lost, timeout, …).
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                let what = db
                    .constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| db.message().to_owned());
                StoreError::Conflict(what)
            }
            _ => StoreError::Database(e),
        }
    }
}

impl From<siyu_domain::DomainError> for StoreError {
    fn from(e: siyu_domain::DomainError) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
