//! The backlog benchmark's script (`benches/backlog.sh`) on a small backlog,
//! so that it keeps working between the runs BENCHMARKS.md reports.

use std::process::Command;

use hookwire::testing::TestDatabase;

#[test]
fn the_backlog_harness_runs_on_a_small_sqlite_backlog() {
    backlog_smoke("sqlite", None);
}

#[tokio::test]
async fn the_backlog_harness_runs_on_a_small_postgresql_backlog() {
    // Skips (loudly) when no PostgreSQL is reachable and this is not CI.
    let Some(admin) = TestDatabase::postgres_admin_url().await else {
        return;
    };
    tokio::task::spawn_blocking(move || backlog_smoke("postgres", Some(&admin)))
        .await
        .unwrap();
}

/// Run the script with 2,000 due deliveries for two seconds and check that it
/// reports what BENCHMARKS.md quotes from it.
fn backlog_smoke(backend: &str, admin_url: Option<&str>) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/backlog.sh");
    let mut cmd = Command::new("bash");
    cmd.args([script, backend, env!("CARGO_BIN_EXE_hookwire")])
        .env("N", "2000")
        .env("INTERVAL", "1")
        .env("DURATION", "2");
    if let Some(url) = admin_url {
        cmd.env("PGURL", url);
    }
    let out = cmd.output().expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "t=1s RSS",
        "t=2s RSS",
        "attempted|unfinished",
        "deliveries_due",
        "SIGTERM exit",
    ] {
        assert!(stdout.contains(expected), "no {expected:?} in:\n{stdout}");
    }
}
