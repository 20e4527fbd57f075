//! siyu's storage layer.
//!
//! One set of SQL statements serves both backends: SQLite (the embedded default, a file in WAL
//! mode) and PostgreSQL (the scale-out backend, several stateless nodes on one database). The
//! statements use `$n` placeholders, which both drivers accept; where the dialects differ
//! (job claiming, id columns) the code says so. Each backend has its own `migrations/` folder.
//!
//! Database errors become [`StoreError`] here, at the boundary: a missing row is `NotFound`, a
//! unique constraint is `Conflict`.

mod db;
mod error;
mod migrate;

pub mod api_keys;
pub mod audience;
pub mod audit;
pub mod channels;
pub mod customers;
pub mod draws;
pub mod inbound;
pub mod jobs;
pub mod login_attempts;
pub mod membership;
pub mod profiles;
pub mod pushes;
pub mod sessions;
pub mod staff;
pub mod stores;
pub mod tenants;
pub mod testing;
pub mod vouchers;
pub mod wechat_accounts;
pub mod wechat_tokens;

pub use db::{redact_url, Backend, Store, Tx};
pub use error::StoreError;
pub use migrate::SchemaStatus;

/// Hex SHA-256 of a secret; API keys and session tokens are stored only in this form.
pub fn hash_secret(secret: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}
