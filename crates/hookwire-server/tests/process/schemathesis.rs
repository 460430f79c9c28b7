//! The API fuzzed from its own OpenAPI document by Schemathesis (PyPI), against
//! the real binary on SQLite and on PostgreSQL: no 5xx, and every response's
//! status, content type, headers and body match the document.
//!
//! That includes `negative_data_rejection`: every schema-invalid value generated
//! for a documented parameter or body must be refused. One check is left out on
//! purpose, because the API is stricter than a JSON schema can say:
//! `positive_data_acceptance` (schema-valid input we refuse, e.g. an event type
//! missing from the catalog, or a URL that fails the SSRF rules — 422 is right).
//! RELIABILITY.md says so.

use std::process::Command;

use hookwire::testing::{Backend, TestDatabase};

use crate::server::{tenant_with_webhook, Server, ADMIN};

hookwire::backend_tests!(the_api_survives_schemathesis_and_matches_its_openapi);

/// The Schemathesis command, if installed.
fn schemathesis() -> Option<&'static str> {
    ["st", "schemathesis"].into_iter().find(|cmd| {
        Command::new(cmd)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

async fn the_api_survives_schemathesis_and_matches_its_openapi(b: Backend) {
    let Some(st) = schemathesis() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but schemathesis is not installed (pip install schemathesis)"
        );
        eprintln!("\n*** SKIPPED: schemathesis not installed (pip install schemathesis) ***\n");
        return;
    };
    let Some(db) = TestDatabase::create(b).await else {
        return;
    };
    let server = Server::start(&db.url).await;
    let rx = crate::receiver::Receiver::start().await;
    let key = tenant_with_webhook(&server.base, &rx.url("/hook")).await;
    let work = tempfile::tempdir().expect("dir");
    // Once as a tenant (webhooks, events, deliveries, stats), once as the admin.
    // (The admin pass covers what only the admin may do.)
    for (token, paths) in [(key.as_str(), "."), (ADMIN, "tenants|event-types")] {
        let out = Command::new(st)
            .current_dir(work.path())
            .args([
                "run",
                &format!("{}/api/v1/openapi.json", server.base),
                "--include-path-regex",
                paths,
                // A test send to a generated URL waits for its DNS lookup or the
                // webhook's 10 s timeout; tests/api covers it.
                "--exclude-path-regex",
                "/test$",
                "--url",
                &server.base,
                "-H",
                &format!("Authorization: Bearer {token}"),
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance",
                "--request-timeout",
                "30",
                "--max-response-time",
                "30",
                "--max-examples",
                "15",
                "--seed",
                "1",
                "--no-color",
            ])
            .output()
            .expect("schemathesis runs");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "schemathesis found failures:\n{report}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(report.contains("passed"), "{report}");
    }
    server.kill();
}
