//! The OpenAPI document is valid and true: an independent validator accepts it,
//! and every parameter it declares is where it says and is enforced by the
//! server the way a client generated from it expects. (Schemathesis, in
//! `tests/process`, checks responses against it.)

use std::process::Command;

use hookwire::testing::Backend;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, ResponseExt, ADMIN};

/// `python3 -m openapi_spec_validator` when the PyPI package is installed.
fn validator_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test]
async fn an_independent_validator_accepts_the_document() {
    if !validator_installed() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but openapi-spec-validator is not installed (pip install openapi-spec-validator)"
        );
        eprintln!("\n*** SKIPPED: openapi-spec-validator not installed (pip install openapi-spec-validator) ***\n");
        return;
    }
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let text = app
        .get("/api/v1/openapi.json", ADMIN)
        .await
        .text()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, text).unwrap();
    let out = Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the document is invalid:\n{report}");
    assert!(report.contains("OK"), "{report}");
}

/// Every declared parameter: a path parameter is in its path; a query parameter
/// is optional, and a value of the wrong form is 422 `invalid_field` naming it.
#[tokio::test]
async fn every_declared_parameter_is_where_it_says_and_enforced() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let hook = app.webhook(&key, json!({})).await;
    let webhook_id = hook["id"].as_str().unwrap();
    let doc = app
        .get("/api/v1/openapi.json", &key)
        .await
        .json_ok(200)
        .await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for param in op["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().unwrap();
                match param["in"].as_str().unwrap() {
                    "path" => {
                        assert!(
                            path.contains(&format!("{{{name}}}")),
                            "{method} {path}: {name}"
                        );
                        assert_eq!(param["required"], true, "{method} {path}: {name}");
                    }
                    "query" => {
                        assert_ne!(param["required"], true, "{method} {path}: {name}");
                        assert_eq!(method, "get", "{path}: query on {method}");
                        let Some(bad) = wrong_form(&param["schema"]) else {
                            continue;
                        };
                        let url = format!("{}?{name}={bad}", path.replace("{id}", webhook_id));
                        let token = if path.contains("/tenants")
                            || path.contains("/operational-webhooks")
                        {
                            ADMIN
                        } else {
                            &key
                        };
                        let body = app.get(&url, token).await.error(422, "invalid_field").await;
                        assert_eq!(body["field"], name, "{url}: {body}");
                        checked += 1;
                    }
                    "header" => {}
                    other => panic!("{method} {path}: {name} in {other}"),
                }
            }
        }
    }
    // limit ×3, since/until ×2, status, is_active, window ×2 at least.
    assert!(checked >= 10, "only {checked} parameters checked");
}

/// A value a parameter of this schema refuses, if its type has one.
fn wrong_form(schema: &Value) -> Option<&'static str> {
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if types.contains(&"integer") {
        Some("1.5")
    } else if types.contains(&"boolean") {
        Some("maybe")
    } else if schema["format"] == "date-time" {
        Some("yesterday")
    } else if schema.get("$ref").is_some() || schema.get("oneOf").is_some() {
        Some("bogus")
    } else {
        None
    }
}

/// `docs/openapi.json` and `docs/api.md` are what the server serves and what
/// its reference renderer makes of it, so the reference in the repository never
/// drifts from the code. `HOOKWIRE_UPDATE_DOCS=1` rewrites them.
#[test]
fn the_committed_api_reference_is_current() {
    let (_, api) = hookwire_server::http::api();
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    let expected = [
        (
            "openapi.json",
            api.to_pretty_json().expect("serialises") + "\n",
        ),
        (
            "api.md",
            hookwire_server::http::docs::markdown::render(&api),
        ),
    ];
    let update = std::env::var_os("HOOKWIRE_UPDATE_DOCS").is_some();
    for (name, text) in expected {
        let path = docs.join(name);
        if update {
            std::fs::create_dir_all(&docs).expect("docs/");
            std::fs::write(&path, &text).expect("write");
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "docs/{name} is out of date: run \
             HOOKWIRE_UPDATE_DOCS=1 cargo nextest run -E 'test(the_committed_api_reference_is_current)'"
        );
    }
}
