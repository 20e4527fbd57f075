//! Migrations: one folder per backend, embedded in the binary, and a check that a database's
//! schema is exactly the one this build knows.

use std::collections::BTreeSet;

use sqlx::migrate::Migrator;

use crate::db::on_pool;
use crate::{Store, StoreError};

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// How a database's schema compares with this build's migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaStatus {
    /// Every migration applied, none unknown.
    Current,
    /// Some of this build's migrations are not applied (an empty database has all pending).
    Pending(Vec<i64>),
    /// The database has migrations this build does not know: it was migrated by a newer siyu.
    Newer(Vec<i64>),
}

impl Store {
    fn migrator(&self) -> &'static Migrator {
        match self {
            Store::Sqlite(..) => &SQLITE,
            Store::Postgres(_) => &POSTGRES,
        }
    }

    /// Applies every pending migration. Safe to run from several nodes at once on PostgreSQL
    /// (the migrator takes an advisory lock).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        if let SchemaStatus::Newer(v) = self.schema_status().await? {
            return Err(newer_error(&v));
        }
        let m = self.migrator();
        on_pool!(self, p => m.run(p).await)
            .map_err(|e| StoreError::Schema(format!("migration failed: {e}")))
    }

    /// Compares applied migrations with the ones built in.
    pub async fn schema_status(&self) -> Result<SchemaStatus, StoreError> {
        let known: BTreeSet<i64> = self.migrator().iter().map(|m| m.version).collect();
        let exists_sql = match self {
            Store::Sqlite(..) => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Store::Postgres(_) => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
            }
        };
        let exists: i64 = on_pool!(self, p => sqlx::query_scalar(exists_sql).fetch_one(p).await)?;
        let applied: BTreeSet<i64> = if exists == 0 {
            BTreeSet::new()
        } else {
            on_pool!(self, p => sqlx::query_scalar::<_, i64>(
                "SELECT version FROM _sqlx_migrations WHERE success"
            ).fetch_all(p).await)?
            .into_iter()
            .collect()
        };
        let newer: Vec<i64> = applied.difference(&known).copied().collect();
        if !newer.is_empty() {
            return Ok(SchemaStatus::Newer(newer));
        }
        let pending: Vec<i64> = known.difference(&applied).copied().collect();
        if pending.is_empty() {
            Ok(SchemaStatus::Current)
        } else {
            Ok(SchemaStatus::Pending(pending))
        }
    }

    /// Fails with a message a person can act on unless the schema is current.
    pub async fn ensure_current(&self) -> Result<(), StoreError> {
        match self.schema_status().await? {
            SchemaStatus::Current => Ok(()),
            SchemaStatus::Pending(v) => Err(StoreError::Schema(format!(
                "the database is not migrated ({} migration(s) pending, first {}); run `siyu migrate` or start with `siyu serve --migrate`",
                v.len(),
                v.first().copied().unwrap_or_default()
            ))),
            SchemaStatus::Newer(v) => Err(newer_error(&v)),
        }
    }
}

fn newer_error(v: &[i64]) -> StoreError {
    StoreError::Schema(format!(
        "the database schema is newer than this siyu build (unknown migration {}); upgrade siyu before starting it on this database",
        v.first().copied().unwrap_or_default()
    ))
}
