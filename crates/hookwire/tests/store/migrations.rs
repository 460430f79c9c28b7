//! Upgrading an existing database keeps its history. SQLite's migration 0004
//! rebuilds `attempts` (keyed by delivery, fewer b-trees per row), and a
//! rebuild done wrong would lose attempts or leave their foreign key pointing
//! elsewhere than `deliveries`; PostgreSQL's 0006 swaps the attempts' primary
//! key for the (delivery, number) pair.
//!
//! And a rolling upgrade: migrations only add, so a node one version behind
//! opens a database the next version migrated and keeps working on it.

use chrono::TimeDelta;
use hookwire::clock;
use hookwire::model::{Event, NewEvent};
use hookwire::store;
use hookwire::testing::{Backend, TestDatabase};
use sqlx::migrate::Migrator;
use sqlx::{Connection, Executor, PgConnection, Row, SqliteConnection};

/// `migrator` with only the migrations older than `version`: the schema an
/// existing database had before that migration.
fn before(mut migrator: Migrator, version: i64) -> Migrator {
    let old: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version < version)
        .cloned()
        .collect();
    migrator.migrations = old.into();
    migrator
}

/// A database at migration 3 with a tenant, a webhook, an event, two
/// deliveries and three attempts, written in the old schema.
async fn database_before_0004(url: &str) {
    let mut conn = SqliteConnection::connect(&format!("{url}?mode=rwc"))
        .await
        .expect("create database");
    conn.execute("PRAGMA foreign_keys = ON")
        .await
        .expect("fk on");
    before(sqlx::migrate!("./migrations/sqlite"), 4)
        .run(&mut conn)
        .await
        .expect("migrations 1-3");
    conn.execute(
        "INSERT INTO tenants (id, name, created_at) VALUES ('tn_1', 'acme', 1);
         INSERT INTO webhooks (id, tenant_id, url, events, is_active, timeout_seconds,
             retry_max_attempts, retry_initial_delay_ms, retry_max_delay_ms, secret,
             created_at, updated_at)
           VALUES ('wh_1', 'tn_1', 'https://example.com/h', '[\"*\"]', 1, 10, 4, 1000,
             60000, 'whsec_x', 1, 1);
         INSERT INTO events (id, tenant_id, event_type, data, created_at)
           VALUES ('evt_1', 'tn_1', 'order.paid', '{}', 2);
         INSERT INTO deliveries (id, tenant_id, event_id, webhook_id, status, attempt_count,
             next_attempt_at, created_at, event_type, last_http_status)
           VALUES ('dlv_1', 'tn_1', 'evt_1', 'wh_1', 'retrying', 2, 5000, 2, 'order.paid', 500),
                  ('dlv_2', 'tn_1', 'evt_1', 'wh_1', 'delivered', 1, NULL, 2, 'order.paid', 200);
         INSERT INTO attempts (id, delivery_id, attempt_number, started_at, duration_ms, http_status)
           VALUES ('att_1', 'dlv_1', 1, 3, 10, 500),
                  ('att_2', 'dlv_1', 2, 4, 11, 500),
                  ('att_3', 'dlv_2', 1, 3, 12, 200);",
    )
    .await
    .expect("seed the old schema");
    conn.close().await.expect("close");
}

#[tokio::test]
async fn upgrading_to_the_rebuilt_attempts_table_keeps_every_delivery_and_attempt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/old.db", dir.path().display());
    database_before_0004(&url).await;

    let store = store::open(&url).await.expect("open and migrate");
    let one = store
        .delivery("tn_1", "dlv_1")
        .await
        .expect("read delivery")
        .expect("dlv_1 survived");
    assert_eq!(one.attempt_count, 2);
    assert_eq!(one.event_type, "order.paid");
    let attempts = store.attempts("dlv_1").await.expect("read attempts");
    let numbers: Vec<_> = attempts
        .iter()
        .map(|a| (a.id.as_str(), a.attempt_number))
        .collect();
    assert_eq!(numbers, [("att_1", 1), ("att_2", 2)]);
    assert_eq!(store.attempts("dlv_2").await.expect("attempts").len(), 1);

    // The rebuilt attempts table refers to the deliveries table, and
    // deleting a webhook still cascades through both.
    let mut conn = SqliteConnection::connect(&url).await.expect("connect");
    let parent: String = sqlx::query("SELECT \"table\" FROM pragma_foreign_key_list('attempts')")
        .fetch_one(&mut conn)
        .await
        .expect("attempts' foreign key")
        .get(0);
    assert_eq!(parent, "deliveries");
    let broken = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut conn)
        .await
        .expect("foreign key check");
    assert!(broken.is_empty(), "{} broken references", broken.len());
    conn.close().await.expect("close");

    assert!(store.delete_webhook("tn_1", "wh_1").await.expect("delete"));
    assert!(store
        .delivery("tn_1", "dlv_1")
        .await
        .expect("read")
        .is_none());
    assert!(store.attempts("dlv_1").await.expect("attempts").is_empty());
}

#[tokio::test]
async fn upgrading_postgres_to_attempts_keyed_by_delivery_keeps_every_attempt() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let mut conn = PgConnection::connect(&db.url).await.expect("connect");
    before(sqlx::migrate!("./migrations/postgres"), 6)
        .run(&mut conn)
        .await
        .expect("migrations 1-5");
    conn.execute(
        "INSERT INTO tenants (id, name, created_at) VALUES ('tn_1', 'acme', now());
         INSERT INTO webhooks (id, tenant_id, url, events, is_active, timeout_seconds,
             retry_max_attempts, retry_initial_delay_ms, retry_max_delay_ms, secret,
             created_at, updated_at)
           VALUES ('wh_1', 'tn_1', 'https://example.com/h', '{*}', true, 10, 4, 1000,
             60000, 'whsec_x', now(), now());
         INSERT INTO events (id, tenant_id, event_type, data, created_at)
           VALUES ('evt_1', 'tn_1', 'order.paid', '{}', now());
         INSERT INTO deliveries (id, tenant_id, event_id, webhook_id, status, attempt_count,
             created_at, event_type)
           VALUES ('dlv_1', 'tn_1', 'evt_1', 'wh_1', 'retrying', 2, now(), 'order.paid');
         INSERT INTO attempts (id, delivery_id, attempt_number, started_at, duration_ms)
           VALUES ('att_1', 'dlv_1', 1, now(), 10), ('att_2', 'dlv_1', 2, now(), 11);",
    )
    .await
    .expect("seed the old schema");
    conn.close().await.expect("close");

    let store = store::open(&db.url).await.expect("open and migrate");
    let attempts = store.attempts("dlv_1").await.expect("read attempts");
    let ids: Vec<_> = attempts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["att_1", "att_2"]);

    let mut conn = PgConnection::connect(&db.url).await.expect("connect");
    let key: String = sqlx::query(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid = 'attempts'::regclass AND contype = 'p'",
    )
    .fetch_one(&mut conn)
    .await
    .expect("attempts' primary key")
    .get(0);
    assert_eq!(key, "PRIMARY KEY (delivery_id, attempt_number)");
    // The pair still refuses a second attempt with the same number.
    let duplicate = conn
        .execute(
            "INSERT INTO attempts (id, delivery_id, attempt_number, started_at, duration_ms) \
             VALUES ('att_3', 'dlv_1', 2, now(), 12)",
        )
        .await;
    assert!(duplicate.is_err(), "a second attempt 2 was accepted");
    conn.close().await.expect("close");
}

/// What a newer version's migration could be: a column added to a hot table,
/// recorded as applied under a version this binary does not know.
const NEWER_VERSION: i64 = 9_999;

hookwire::backend_tests!(a_database_a_newer_version_migrated_still_opens_and_works);

/// A rolling upgrade: the first node of the next version has migrated the
/// database; a node of this version (still running, or restarting meanwhile)
/// must open it and go on publishing and reading.
async fn a_database_a_newer_version_migrated_still_opens_and_works(b: Backend) {
    let Some(db) = TestDatabase::create(b).await else {
        return;
    };
    let store = store::open(&db.url).await.expect("open and migrate");
    drop(store);
    let newer = [
        "ALTER TABLE events ADD COLUMN added_by_a_newer_version TEXT".to_owned(),
        format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES ({NEWER_VERSION}, 'added by a newer version', {}, {}, 0)",
            match b {
                Backend::Sqlite => "1",
                Backend::Postgres => "true",
            },
            match b {
                Backend::Sqlite => "x'00'",
                Backend::Postgres => "'\\x00'::bytea",
            }
        ),
    ];
    match b {
        Backend::Sqlite => {
            let mut conn = SqliteConnection::connect(&db.url).await.expect("connect");
            for sql in &newer {
                conn.execute(sql.as_str()).await.expect(sql);
            }
            conn.close().await.expect("close");
        }
        Backend::Postgres => {
            let mut conn = PgConnection::connect(&db.url).await.expect("connect");
            for sql in &newer {
                conn.execute(sql.as_str()).await.expect(sql);
            }
            conn.close().await.expect("close");
        }
    }

    let store = store::open(&db.url)
        .await
        .expect("a database migrated by a newer version opens");
    let (tenant, webhook) = crate::history::setup(&store).await;
    let new = NewEvent {
        event_type: "webhook.test".into(),
        data: serde_json::json!({ "n": 1 }),
        channel: None,
        id: None,
        ordering_key: None,
    };
    let mut event = Event::from_new(&tenant, new, None, |_| true).expect("valid event");
    event.traceparent = Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into());
    let since = clock::now() - TimeDelta::hours(24);
    let published = hookwire::testing::publish(&store, &event, &["*".into()], since)
        .await
        .expect("publish");
    assert_eq!(published.deliveries.len(), 1);
    assert_eq!(published.deliveries[0].webhook_id, webhook.id);
    let read = store
        .event(&tenant, &event.id)
        .await
        .expect("read event")
        .expect("the event is there");
    assert_eq!(read, event, "stored as published, traceparent included");
}

/// The first migration of each backend written under the rolling-upgrade
/// rule; the earlier ones ran before any deployment had two versions at once
/// and were reviewed by hand.
const FIRST_ADD_ONLY: [(&str, i64); 2] = [("sqlite", 8), ("postgres", 11)];

/// The rolling-upgrade rule, checked on the migration files: a migration may
/// add tables, indexes, triggers and columns (a NOT NULL column only with a
/// DEFAULT) but not drop, rename or retype what the previous version reads.
#[test]
fn new_migrations_only_add() {
    let refused = [
        "DROP TABLE",
        "DROP COLUMN",
        "RENAME",
        "ALTER COLUMN",
        "DROP CONSTRAINT",
    ];
    for (backend, first) in FIRST_ADD_ONLY {
        let dir = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("migrations directory") {
            let path = entry.expect("entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let version: i64 = name
                .split('_')
                .next()
                .and_then(|v| v.parse().ok())
                .expect("a numbered migration");
            if version < first {
                continue;
            }
            checked += 1;
            let sql: String = std::fs::read_to_string(&path)
                .expect("read migration")
                .lines()
                .map(|line| line.split("--").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(" ")
                .to_uppercase();
            for statement in sql.split(';') {
                let words = statement.split_whitespace().collect::<Vec<_>>().join(" ");
                for bad in refused {
                    assert!(
                        !words.contains(bad),
                        "{backend}/{name}: {bad} breaks the previous version: {words}"
                    );
                }
                if words.contains("ADD COLUMN") && words.contains("NOT NULL") {
                    assert!(
                        words.contains("DEFAULT"),
                        "{backend}/{name}: a NOT NULL column without a DEFAULT breaks the \
                         previous version's inserts: {words}"
                    );
                }
            }
        }
        assert!(checked > 0, "no {backend} migration checked");
    }
}
