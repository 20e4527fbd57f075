//! Connecting to either backend and running one statement text on both.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::StoreError;

/// Which database engine a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A connection pool to one of the two backends.
#[derive(Debug, Clone)]
pub enum Store {
    /// SQLite in WAL mode: connections that read, and the one that writes. SQLite takes one
    /// writer at a time; with one connection for them, writers queue in order in the pool
    /// instead of polling the database's lock, and readers never hold up a writer's start.
    Sqlite(SqlitePool, SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// An open transaction on either backend; dropped without [`Tx::commit`] it rolls back.
#[derive(Debug)]
pub enum Tx {
    /// A SQLite transaction, begun `IMMEDIATE` so writers queue instead of failing.
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    /// A PostgreSQL transaction.
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs `$body` with `$c` bound to the pool of whichever backend `$store` uses.
/// The body is compiled once per backend, so the same statement text serves both.
macro_rules! on_pool {
    ($store:expr, $c:ident => $body:expr) => {
        match $store {
            $crate::Store::Sqlite($c, _) => $body,
            $crate::Store::Postgres($c) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the open transaction's connection.
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use {on_pool, on_tx};

impl Store {
    /// Connects to `url` (`sqlite:…` or `postgres://…`), creating a SQLite file if needed.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .pragma("wal_autocheckpoint", "16384")
                .foreign_keys(true);
            // A connection to a local file does not go stale the way a network one does:
            // pinging it on every acquire is a round trip to its thread for nothing.
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections.max(1))
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts.clone())
                .await?;
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Store::Sqlite(pool, writer))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Ok(Store::Postgres(pool))
        } else {
            Err(StoreError::Schema(format!(
                "unsupported database URL scheme in '{}': use sqlite:PATH or postgres://…",
                redact_url(url)
            )))
        }
    }

    /// The engine behind this store.
    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite(..) => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Store::Sqlite(_, w) => Tx::Sqlite(w.begin_with("BEGIN IMMEDIATE").await?),
            Store::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Checks that the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Runs one statement that returns nothing (administrative DDL such as `CREATE DATABASE`).
    pub async fn execute_raw(&self, sql: &str) -> Result<(), StoreError> {
        on_pool!(self, p => sqlx::query(sql).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Connections open and idle in the pool, for `/metrics`.
    pub fn pool_stats(&self) -> (u32, usize) {
        on_pool!(self, p => (p.size(), p.num_idle()))
    }

    /// Closes every connection; used at shutdown.
    pub async fn close(&self) {
        if let Store::Sqlite(_, w) = self {
            w.close().await;
        }
        on_pool!(self, p => p.close().await);
    }
}

impl Tx {
    /// Makes the transaction's writes durable.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// Many rows passed as one parameter, a JSON array of arrays, and read back as a table: one
/// statement writes any number of rows, its text is the same whatever the count (prepared
/// once), and binding stays one value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsonRows {
    sqlite: bool,
}

impl JsonRows {
    /// The dialect of `tx`'s backend.
    pub(crate) fn of(tx: &Tx) -> Self {
        Self {
            sqlite: matches!(tx, Tx::Sqlite(_)),
        }
    }

    /// `SELECT <cols> FROM <rows of $param>`: `cols` are `(name, type)`, the type `text`,
    /// `bigint` or `boolean`, taken from each row's elements in order.
    pub(crate) fn select(&self, param: usize, cols: &[(&str, &str)]) -> String {
        let list: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, (name, ty))| {
                if self.sqlite {
                    format!("j.v ->> {i} AS {name}")
                } else if *ty == "text" {
                    format!("j ->> {i} AS {name}")
                } else {
                    format!("(j ->> {i})::{ty} AS {name}")
                }
            })
            .collect();
        // SQLite's `json_each` gives each row as JSON text, which every `->>` would parse
        // again. Each row is converted to JSONB once instead; `OFFSET 0` keeps the query
        // planner from flattening the subquery (which would repeat the conversion per column).
        let from = if self.sqlite {
            format!("(SELECT jsonb(value) AS v FROM json_each(${param}) LIMIT -1 OFFSET 0) AS j")
        } else {
            format!("jsonb_array_elements(${param}::jsonb) AS j")
        };
        format!("SELECT {} FROM {from}", list.join(", "))
    }
}

/// A database URL with any password replaced, safe to show in messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite:./x.db"), "sqlite:./x.db");
    }
}
