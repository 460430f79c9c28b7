//! What a command that cannot start says: the key or the root cause, once, and
//! nothing changed on disk.

use crate::cli::hookwire;

/// Run `hookwire ARGS` in `dir`; (exit code, stderr).
fn run(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = hookwire()
        .current_dir(dir)
        .args(args)
        .env_remove("HOOKWIRE_DATABASE_URL")
        .envs(env.iter().copied())
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_check_refuses_what_serve_refuses_before_any_database_exists() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[[event_types]]\nname = \"Bad Name!\"\n",
            "event_types[0].name: \"Bad Name!\" is not a valid event type name",
        ),
        (
            "[[event_types]]\nname = \"order.paid\"\n[[webhooks]]\nurl = \"https://93.184.216.34/x\"\n\
             events = [\"order.refunded\"]\nsecret = \"a-fixed-secret-value\"\n",
            "webhooks[0].events: event type \"order.refunded\" is not in the catalog",
        ),
        (
            "[[webhooks]]\nurl = \"http://127.0.0.1:9/x\"\nevents = [\"*\"]\nsecret = \"a-fixed-secret-value\"\n",
            "webhooks[0].url:",
        ),
        (
            "[[webhooks]]\nurl = \"https://93.184.216.34/x\"\nevents = [\"*\"]\nsecret = \"s\"\n\
             timeout_seconds = 0\n",
            "webhooks[0].timeout_seconds: must be between 1 and 60",
        ),
    ];
    for (file, expected) in cases {
        std::fs::write(dir.path().join("hookwire.toml"), file).unwrap();
        for command in [&["config", "check"][..], &["serve"]] {
            let (code, err) = run(dir.path(), command, &[]);
            assert_eq!(code, Some(1), "{command:?} accepted:\n{file}\n{err}");
            assert!(err.contains(expected), "{command:?}: {err}");
            let key = expected.split(':').next().unwrap_or_default();
            assert_eq!(err.matches(key).count(), 1, "the key once: {err}");
        }
        assert!(
            !dir.path().join("hookwire.db").exists(),
            "serve created the database"
        );
    }
    // The same file with the type declared is fine for both.
    std::fs::write(
        dir.path().join("hookwire.toml"),
        "[[event_types]]\nname = \"order.paid\"\n[[webhooks]]\nurl = \"https://93.184.216.34/x\"\n\
         events = [\"order.paid\", \"webhook.test\", \"order.*\"]\nsecret = \"a-fixed-secret-value\"\n",
    )
    .unwrap();
    let (code, err) = run(dir.path(), &["config", "check"], &[]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn startup_errors_name_the_root_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = run(dir.path(), &["migrate", "--config", "missing.toml"], &[]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("cannot read config file missing.toml"),
        "{err}"
    );
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");

    // Nothing listens on port 1: refused at once, and said so.
    let started = std::time::Instant::now();
    let (code, err) = run(
        dir.path(),
        &["migrate"],
        &[("HOOKWIRE_DATABASE_URL", "postgres://postgres@127.0.0.1:1/x")],
    );
    assert_eq!(code, Some(1));
    assert_eq!(err.matches("Connection refused").count(), 1, "{err}");
    assert!(!err.contains("timed out"), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "{err}"
    );
}

#[tokio::test]
async fn a_missing_postgres_database_is_named_once() {
    let Some(admin_url) = hookwire::testing::TestDatabase::postgres_admin_url().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = match admin_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/hookwire_no_such_database"),
        None => panic!("no database in {admin_url}"),
    };
    let (code, err) = run(dir.path(), &["migrate"], &[("HOOKWIRE_DATABASE_URL", &url)]);
    assert_eq!(code, Some(1));
    assert_eq!(
        err.matches("database \"hookwire_no_such_database\" does not exist")
            .count(),
        1,
        "{err}"
    );
}
