//! The write connections' statements plan as key probes even on a fresh,
//! never analyzed database — the case where a generic plan used to scan.

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Executor, PgConnection, Row};

use super::record::RECORD;
use super::write::INSERT_ROWS;
use super::{write_options, PgStore};
use crate::store::sql::claim::ClaimSql;
use crate::testing::{Backend, TestDatabase};

/// The plan the write connections use for `sql`, as `EXPLAIN` prints it.
async fn write_plan(conn: &mut PgConnection, name: &str, sql: &str) -> String {
    conn.execute(format!("PREPARE {name} AS {sql}").as_str())
        .await
        .unwrap();
    let params = highest_parameter(sql);
    let args = vec!["NULL"; params].join(", ");
    let rows = sqlx::query(&format!("EXPLAIN (COSTS OFF) EXECUTE {name}({args})"))
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.get::<String, _>(0))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The highest `$n` in `sql`.
fn highest_parameter(sql: &str) -> usize {
    sql.split('$')
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn the_write_statements_probe_by_key_on_a_fresh_database() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    // Migrated, empty, never analyzed.
    PgStore::open(&db.url).await.unwrap();
    let opts = write_options(PgConnectOptions::from_str(&db.url).unwrap());
    let mut conn = opts.connect().await.unwrap();
    // Each statement, and a node its plan must have.
    for (name, sql, expected) in [
        ("record", RECORD, "Index Scan using deliveries_pkey"),
        ("insert_rows", INSERT_ROWS, "Insert on deliveries"),
        (
            "claim",
            <super::PgStore as ClaimSql>::CLAIM,
            "Index Scan using deliveries_due",
        ),
    ] {
        let plan = write_plan(&mut conn, name, sql).await;
        for line in plan.lines() {
            let scans_a_table =
                line.contains("Seq Scan") && !line.contains("on webhook_generation");
            assert!(
                !scans_a_table && !line.contains("Hash") && !line.contains("Merge Join"),
                "{name} plans a scan or a join by hashing or merging:\n{plan}"
            );
        }
        assert!(!plan.contains("JIT"), "{name} is JIT-compiled:\n{plan}");
        assert!(plan.contains(expected), "{name}: no {expected}:\n{plan}");
    }
}
