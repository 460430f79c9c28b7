//! Test support (feature `testing`): a fresh, throw-away database per test, on
//! either backend, [`faults::FaultyEndpoint`], a receiver that misbehaves, and
//! [`forward_proxy::ForwardProxy`], an egress proxy that records what it forwards,
//! and [`tls_receiver::TlsReceiver`], an HTTPS receiver that requires a client
//! certificate.
//!
//! PostgreSQL tests each get their own database on the server named by
//! `HOOKWIRE_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`),
//! dropped when the [`TestDatabase`] is. If that server is unreachable the test is
//! skipped with a loud message — unless `CI` is set, where it fails instead.
//!
//! Test support only: nothing in the engine's own code may depend on it.

pub mod faults;
pub mod forward_proxy;
pub mod tls_receiver;

use sqlx::{Connection, Executor, PgConnection};

/// Which backend a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A new database on the test PostgreSQL server.
    Postgres,
}

/// Engine options for tests whose receivers listen on 127.0.0.1: plain HTTP
/// and loopback addresses allowed (the URL policy refuses both by default).
pub fn loopback_options() -> crate::Options {
    crate::Options {
        url_policy: crate::net::UrlPolicy {
            allow_http: true,
            allow_private_networks: true,
        },
        ..crate::Options::default()
    }
}

/// The PostgreSQL server tests use when `HOOKWIRE_TEST_POSTGRES_URL` is unset.
const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    /// URL to pass as `database_url`.
    pub url: String,
    cleanup: Cleanup,
}

/// What dropping a [`TestDatabase`] removes: the SQLite file's folder, or the
/// PostgreSQL database (dropped through the admin connection).
#[derive(Debug)]
enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// Create a fresh database; `None` means "skip this test" (PostgreSQL not
    /// reachable outside CI).
    pub async fn create(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("create temp dir");
                let url = format!("sqlite://{}", dir.path().join("hookwire.db").display());
                Some(Self {
                    url,
                    cleanup: Cleanup::Sqlite(dir),
                })
            }
            Backend::Postgres => Self::create_pg().await,
        }
    }

    /// The URL of the test PostgreSQL server's admin database, for a harness
    /// that creates databases of its own; `None` means "skip this test", as
    /// for [`TestDatabase::create`].
    pub async fn postgres_admin_url() -> Option<String> {
        let (admin_url, _conn) = Self::connect_admin().await?;
        Some(admin_url)
    }

    /// Connect to the admin database, or `None` (with a loud notice) when no
    /// server is reachable outside CI; in CI that is a failure.
    async fn connect_admin() -> Option<(String, PgConnection)> {
        let admin_url =
            std::env::var("HOOKWIRE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_PG.into());
        match PgConnection::connect(&admin_url).await {
            Ok(conn) => Some((admin_url, conn)),
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!(
                    "\n*** SKIPPED: PostgreSQL test — no server at {admin_url} ({e}). \
                     Set HOOKWIRE_TEST_POSTGRES_URL. Under CI=true this is a failure. ***\n"
                );
                None
            }
            Err(e) => panic!("PostgreSQL is required in CI but {admin_url} failed: {e}"),
        }
    }

    /// A new, uniquely named PostgreSQL database, migrated; `None` when no server
    /// answers (the test then skips on that backend).
    async fn create_pg() -> Option<Self> {
        let (admin_url, mut conn) = Self::connect_admin().await?;
        let name = format!("hookwire_test_{}", uuid::Uuid::now_v7().simple());
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create test database");
        let mut url = url::Url::parse(&admin_url).expect("valid HOOKWIRE_TEST_POSTGRES_URL");
        url.set_path(&name);
        Some(Self {
            url: url.to_string(),
            cleanup: Cleanup::Postgres { admin_url, name },
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, db) = (admin_url.clone(), name.clone());
            // Drop may run inside a runtime; use a fresh one on its own thread.
            let dropped = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    let mut conn = PgConnection::connect(&admin_url).await?;
                    conn.execute(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)").as_str())
                        .await
                        .map(|_| ())
                })
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                eprintln!("warning: could not drop test database {name}");
            }
        }
    }
}

/// Run each listed `async fn name(backend: Backend)` once per backend, as the tests
/// `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::testing::Backend::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$name($crate::testing::Backend::Postgres).await
            }
        }
    )*};
}

/// Write attempt results the way the group commit does, in one write of
/// their own: per result, whether `owner` still held the delivery's lease.
pub async fn record_attempts(
    store: &crate::store::DynStore,
    owner: &str,
    results: &[(crate::model::Attempt, crate::store::AttemptResult)],
) -> crate::store::Result<Vec<bool>> {
    let records: Vec<crate::store::AttemptRecord> = results
        .iter()
        .map(|(attempt, result)| crate::store::AttemptRecord {
            owner: owner.into(),
            attempt: attempt.clone(),
            result: result.clone(),
            fifo_key: None,
        })
        .collect();
    let batch = crate::store::WriteBatch {
        results: records.iter().collect(),
        ..Default::default()
    };
    match store.write(&batch).await? {
        crate::store::Written::Done { results, .. } => Ok(results),
        crate::store::Written::Stale => Ok(vec![false; results.len()]),
    }
}

/// [`record_attempts`] of one result.
pub async fn record_attempt(
    store: &crate::store::DynStore,
    owner: &str,
    attempt: &crate::model::Attempt,
    result: &crate::store::AttemptResult,
) -> crate::store::Result<bool> {
    let pair = [(attempt.clone(), result.clone())];
    let flags = record_attempts(store, owner, &pair).await?;
    Ok(flags.first().copied().unwrap_or(false))
}

/// Publish one event straight into `store` (see
/// [`pipeline::publish_batch`](crate::pipeline::publish_batch)).
pub async fn publish(
    store: &crate::store::DynStore,
    event: &crate::model::Event,
    patterns: &[String],
    dedupe_since: chrono::DateTime<chrono::Utc>,
) -> crate::store::Result<crate::store::Published> {
    let events = vec![(event.clone(), patterns.to_vec())];
    let mut published = crate::pipeline::publish_batch(store, events, dedupe_since).await?;
    published
        .pop()
        .ok_or_else(|| crate::store::Error::Corrupt("no publish written".into()))
}
