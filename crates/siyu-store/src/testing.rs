//! Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL database on the
//! server named by `SIYU_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/`),
//! dropped again when the guard goes out of scope. A missing PostgreSQL fails the test.

use std::path::PathBuf;

use crate::Backend;

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDb {
    /// The URL to connect to.
    pub url: String,
    pg: Option<(String, String)>,
    dir: Option<PathBuf>,
}

/// The PostgreSQL server tests use, without a database name.
pub fn postgres_server_url() -> String {
    let url = std::env::var("SIYU_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/".into());
    let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&url);
    format!("{base}/")
}

fn unique(prefix: &str) -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{}", std::process::id(), n % 1_000_000_000_000)
}

impl TestDb {
    /// Creates an empty database on `backend`.
    ///
    /// # Panics
    /// When PostgreSQL is unreachable: a test run without it is a failure, not a skip.
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(unique("siyu_t"));
                std::fs::create_dir_all(&dir).expect("create temp dir");
                TestDb {
                    url: format!("sqlite:{}", dir.join("siyu.db").display()),
                    pg: None,
                    dir: Some(dir),
                }
            }
            Backend::Postgres => {
                use sqlx::Connection;
                let server = postgres_server_url();
                let admin = format!("{server}postgres");
                let name = unique("siyu_t");
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is required for tests: {e}"));
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let _ = conn.close().await;
                TestDb {
                    url: format!("{server}{name}"),
                    pg: Some((admin, name)),
                    dir: None,
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin, name)) = self.pg.take() {
            // Drop runs inside the test's runtime; a separate thread with its own runtime
            // may block.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut c)
                                .await;
                        let _ = c.close().await;
                    }
                });
            })
            .join();
        }
    }
}
