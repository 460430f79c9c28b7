//! Each subcommand as a real process.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use hookwire::secret::WebhookSecret;
use hookwire::signer::Signer;
use hookwire::testing::{Backend, TestDatabase};

use crate::server::{tenant_with_webhook, Server};

pub fn hookwire() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hookwire"));
    c.env_remove("HOOKWIRE_URL")
        .env_remove("HOOKWIRE_TOKEN")
        .env_remove("HOOKWIRE_CONFIG");
    c
}

#[test]
fn demo_runs_the_whole_loop_and_verifies_every_delivery() {
    let out = hookwire().args(["demo", "--exit"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("all 4 deliveries delivered, every signature verified"),
        "{stdout}"
    );
    assert!(
        stdout.contains("answered 503 (hookwire retries it unless"),
        "no retry shown: {stdout}"
    );
    assert!(stdout.contains("attempt 2"), "{stdout}");
    assert!(!stdout.contains('✗'), "a signature failed: {stdout}");
    assert!(stdout.contains("curl -s $API/stats"));
}

fn verify(secret: &str, headers: &[(String, String)], body: &[u8]) -> (bool, String, String) {
    verify_by("--secret", secret, headers, body)
}

/// `hookwire verify FLAG KEY` (`--secret` or `--public-key`) on `body`.
fn verify_by(
    flag: &str,
    key: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> (bool, String, String) {
    let mut cmd = hookwire();
    cmd.args(["verify", flag, key]);
    for (k, v) in headers {
        cmd.args(["--header", &format!("{k}: {v}")]);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn verify_accepts_a_signed_delivery_and_names_what_is_wrong_otherwise() {
    let secret = WebhookSecret::generate();
    let body = br#"{"id":"evt_1","type":"a.b","data":{"x":1}}"#;
    let sign = |ts: i64| {
        let s = Signer::new(&secret, None);
        vec![
            ("webhook-id".to_owned(), "evt_1".to_owned()),
            ("webhook-timestamp".to_owned(), ts.to_string()),
            (
                "webhook-signature".to_owned(),
                s.standard("evt_1", ts, body),
            ),
            (
                "x-webhook-signature".to_owned(),
                s.sha256_body(body).unwrap_or_default(),
            ),
        ]
    };
    let now = chrono::Utc::now().timestamp();
    let (ok, stdout, _) = verify(secret.expose(), &sign(now), body);
    assert!(ok);
    assert!(stdout.contains("\"x\": 1"), "prints the event: {stdout}");

    let (ok, _, err) = verify(secret.expose(), &sign(now), br#"{"tampered":true}"#);
    assert!(!ok && err.contains("no webhook-signature matches"), "{err}");
    let (ok, _, err) = verify(secret.expose(), &sign(now - 3600), body);
    assert!(!ok && err.contains("tolerance"), "{err}");
    let (ok, _, err) = verify(secret.expose(), &sign(now)[1..], body);
    assert!(!ok && err.contains("missing header webhook-id"), "{err}");
    let (ok, _, err) = verify("whsec_bm90LWEtcmVhbC1zZWNyZXQtYnl0ZXM=", &sign(now), body);
    assert!(!ok && err.contains("no webhook-signature matches"), "{err}");
}

#[test]
fn verify_checks_an_ed25519_signature_with_the_public_key() {
    let key = WebhookSecret::generate_for(hookwire::secret::SignatureScheme::Ed25519);
    let public = key.public_key().expect("an Ed25519 key").encode();
    let body = br#"{"id":"evt_1","type":"a.b","data":{"x":1}}"#;
    let now = chrono::Utc::now().timestamp();
    let headers = vec![
        ("webhook-id".to_owned(), "evt_1".to_owned()),
        ("webhook-timestamp".to_owned(), now.to_string()),
        (
            "webhook-signature".to_owned(),
            Signer::new(&key, None).standard("evt_1", now, body),
        ),
    ];
    let (ok, stdout, err) = verify_by("--public-key", &public, &headers, body);
    assert!(ok && stdout.contains("\"x\": 1"), "{stdout}{err}");
    let (ok, _, err) = verify_by("--public-key", &public, &headers, br#"{"x":2}"#);
    assert!(!ok && err.contains("no webhook-signature matches"), "{err}");
    let (ok, _, err) = verify_by("--public-key", "whpk_short", &headers, body);
    assert!(!ok && err.contains("public_key"), "{err}");
}

#[tokio::test]
async fn listen_verifies_what_a_real_server_sends_and_the_client_commands_work() {
    let Some(db) = TestDatabase::create(Backend::Sqlite).await else {
        return;
    };
    let server = Server::start(&db.url).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let secret = "listen-test-secret";
    let mut listen = hookwire()
        .args(["listen", "--port", &port.to_string(), "--secret", secret])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = {
        let stdout = listen.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        rx
    };
    // A tenant, then a webhook created with the CLI pointing at `listen`.
    let key = tenant_with_webhook(&server.base, "http://127.0.0.1:9/unused").await;
    let api = |args: &[&str]| {
        let out = hookwire()
            .args(args)
            .args(["--url", &server.base, "--token", &key])
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let url = format!("http://127.0.0.1:{port}/in");
    let (ok, out, err) = api(&[
        "webhooks",
        "create",
        &url,
        "--event",
        "webhook.test",
        "--rate-limit",
        "50",
        "--name",
        "listener",
        "--filter",
        r#"{"type": {"$startsWith": "webhook."}}"#,
        "--ordering",
        "fifo",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("signing secret (shown once)"), "{out}");
    let id = out.split_whitespace().nth(1).unwrap().to_owned();
    // Give it the secret `listen --secret` checks with.
    let patched = reqwest::Client::new()
        .patch(format!("{}/api/v1/webhooks/{id}", server.base))
        .bearer_auth(&key)
        .json(&serde_json::json!({ "secret": secret }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let patched: serde_json::Value = patched.json().await.unwrap();
    assert_eq!(
        patched["rate_limit_per_second"], 50,
        "--rate-limit was sent"
    );
    assert_eq!(
        patched["filter"],
        serde_json::json!({"type": {"$startsWith": "webhook."}}),
        "--filter was sent"
    );
    assert_eq!(patched["ordering"], "fifo", "--ordering was sent");
    // A filter that is not a JSON object is refused before any request; one
    // the server refuses names its path.
    let (ok, _, err) = api(&[
        "webhooks", "create", &url, "--event", "*", "--filter", "[1]",
    ]);
    assert!(
        !ok && err.contains("--filter") && err.contains("JSON object"),
        "{err}"
    );
    let (ok, _, err) = api(&[
        "webhooks",
        "create",
        &url,
        "--event",
        "*",
        "--filter",
        r#"{"data.n": {"$near": 1}}"#,
    ]);
    assert!(!ok && err.contains("filter.data.n.$near"), "{err}");
    // --client-cert and --client-key send the PEM files; a pair that does not
    // belong together is refused by the server, naming the field.
    let dir = tempfile::tempdir().unwrap();
    let ((cert, key_pem), (_, other_key)) = (
        self_signed_pair("cli.example"),
        self_signed_pair("other.example"),
    );
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let (cert, key_pem, other_key) = (
        file("c.pem", &cert),
        file("k.pem", &key_pem),
        file("o.pem", &other_key),
    );
    let create_with_key = |key: &str| {
        api(&[
            "webhooks",
            "create",
            &url,
            "--event",
            "*",
            "--client-cert",
            &cert,
            "--client-key",
            key,
            "--json",
        ])
    };
    let (ok, out, err) = create_with_key(&key_pem);
    assert!(ok, "{err}");
    assert!(out.contains(r#""has_client_certificate": true"#), "{out}");
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (ok, _, err) = create_with_key(&other_key);
    assert!(!ok && err.contains("client_certificate"), "{err}");
    let (ok, _, err) = api(&["webhooks", "delete", created["id"].as_str().unwrap()]);
    assert!(ok, "{err}");

    let (ok, out, err) = api(&["webhooks", "list"]);
    assert!(ok, "{err}");
    assert!(out.starts_with("ID") && out.contains(&id), "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains(&id) && l.contains("listener")),
        "names: {out}"
    );
    assert!(
        out.lines().next().is_some_and(|h| h.contains("CIRCUIT"))
            && out
                .lines()
                .any(|l| l.contains(&id) && l.trim_end().ends_with("closed")),
        "circuit states: {out}"
    );
    let send_k1 = || {
        api(&[
            "send",
            "webhook.test",
            r#"{"hello":"world"}"#,
            "--idempotency-key",
            "k1",
        ])
    };
    let (ok, out, err) = send_k1();
    assert!(ok, "{err}");
    assert!(
        out.starts_with("published evt_") && out.contains("→ 2 deliveries\n"),
        "{out}"
    );
    let (ok, again, err) = send_k1();
    assert!(ok, "{err}");
    assert!(again.starts_with("already published"), "{again}");
    // A delivery whose signature does not verify is refused, so its sender
    // sees a failure.
    let forged = reqwest::Client::new()
        .post(&url)
        .header("webhook-id", "evt_forged")
        .header(
            "webhook-timestamp",
            chrono::Utc::now().timestamp().to_string(),
        )
        .header("webhook-signature", "v1,AAAA")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);

    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut seen = String::new();
    while !seen.contains("✓ verified") {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => seen.push_str(&(line + "\n")),
            Err(_) => panic!("listen never showed a verified delivery:\n{seen}"),
        }
    }
    // Only the forged request failed verification.
    for delivery in seen.split("→ ").filter(|d| d.contains('✗')) {
        assert!(
            delivery.contains("evt_forged") && delivery.contains("answered 400"),
            "{seen}"
        );
    }
    assert!(seen.contains("webhook.test"));

    // `hookwire verify` accepts exactly what the server sent.
    let rx = crate::receiver::Receiver::start().await;
    let (ok, out, err) = api(&[
        "webhooks",
        "create",
        &rx.url("/v"),
        "--event",
        "webhook.test",
    ]);
    assert!(ok, "{err}");
    let out_create = out.clone();
    let captured_secret = out
        .lines()
        .nth(1)
        .and_then(|l| l.rsplit(' ').next())
        .unwrap()
        .to_owned();
    let (ok, _, err) = api(&["send", "webhook.test", r#"{"check":"verify"}"#]);
    assert!(ok, "{err}");
    let got = rx.wait_for("/v", 1).await.remove(0);
    let headers: Vec<(String, String)> = got
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let (ok, stdout, err) = verify(&captured_secret, &headers, &got.body);
    assert!(ok, "verify rejected a real delivery: {err}");
    assert!(
        err.contains(" UTC (") && err.contains("ago)") || err.contains("just now"),
        "{err}"
    );
    assert!(stdout.contains("\"check\": \"verify\""), "{stdout}");

    // `hookwire replay` delivers that event again, with the same webhook-id.
    let event_id = got.headers["webhook-id"].to_str().unwrap().to_owned();
    let (ok, out, err) = api(&[
        "replay",
        &event_id,
        "--webhook",
        &rx_webhook_id(&out_create),
    ]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with(&format!("replaying {event_id}: 1 new delivery")),
        "{out}"
    );
    let again = rx.wait_for("/v", 2).await.remove(1);
    assert_eq!(again.headers["webhook-id"].to_str().unwrap(), event_id);
    let (ok, _, err) = api(&["replay", "evt_nope"]);
    assert!(!ok && err.contains("404"), "{err}");
    // `hookwire retry`: nothing failed here, so nothing is requeued.
    let (ok, out, err) = api(&["retry", "--since", "2026-01-01T00:00:00Z"]);
    assert!(ok && out.starts_with("requeued 0 deliveries"), "{out}{err}");
    let (ok, _, err) = api(&["retry", "--since", "yesterday"]);
    assert!(!ok && err.contains("422") && err.contains("since"), "{err}");

    let (ok, out, _) = api(&[
        "send",
        "webhook.test",
        "{}",
        "--json",
        "--ordering-key",
        "k1",
    ]);
    let sent: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    assert!(ok && sent["id"].is_string(), "{out}");
    let event: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/events/{}",
            server.base,
            sent["id"].as_str().unwrap_or("")
        ))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(event["ordering_key"], "k1", "--ordering-key was sent");
    let (ok, _, err) = api(&["send", "no.such.type", "{}"]);
    assert!(!ok && err.contains("422"), "{err}");
    let (ok, _, err) = api(&["send", "webhook.test", "not json"]);
    assert!(!ok && err.contains("JSON"), "{err}");
    let (ok, out, err) = api(&["webhooks", "delete", &id]);
    assert!(ok && out.contains("deleted"), "{err}");
    let _ = listen.kill();
    let _ = listen.wait();
}

/// A self-signed certificate for `name` and its key, PEM.
fn self_signed_pair(name: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec![name.to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (cert.pem(), key.serialize_pem())
}

#[test]
fn a_configured_webhook_takes_a_client_certificate_and_config_check_masks_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("hookwire.toml");
    std::fs::write(
        &cfg,
        "database_url = \"sqlite://${DB_DIR}/hw.db\"\n\
         [[webhooks]]\nurl = \"https://93.184.216.34/x\"\nevents = [\"*\"]\nsecret = \"hook-secret-value\"\n\
         client_certificate = { cert_pem = \"${CLIENT_CERT}\", key_pem = \"${CLIENT_KEY}\" }\n",
    )
    .unwrap();
    let ((cert, key), (_, other_key)) = (
        self_signed_pair("config.example"),
        self_signed_pair("other.example"),
    );
    let check = |key: &str| {
        let out = hookwire()
            .args(["config", "check", "--config"])
            .arg(&cfg)
            .env("DB_DIR", dir.path())
            .env("CLIENT_CERT", &cert)
            .env("CLIENT_KEY", key)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = check(&key);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("\"key_pem\": \"***\""), "{out}");
    let key_body = key.lines().nth(1).unwrap();
    assert!(!out.contains(key_body), "the key is masked: {out}");
    let (code, _, err) = check(&other_key);
    assert_eq!(code, Some(1));
    assert!(err.contains("webhooks[0].client_certificate"), "{err}");
}

#[test]
fn migrate_and_config_check_work_and_mask_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("hookwire.toml");
    std::fs::write(
        &cfg,
        "database_url = \"sqlite://${DB_DIR}/hw.db\"\nadmin_token = \"${ADMIN_TOKEN}\"\n\
         [[webhooks]]\nurl = \"https://93.184.216.34/x\"\nevents = [\"*\"]\nsecret = \"${HOOK_SECRET}\"\n",
    )
    .unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let out = hookwire()
            .args(args)
            .arg("--config")
            .arg(&cfg)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let dbdir = dir.path().to_str().unwrap();
    let env = [
        ("DB_DIR", dbdir),
        ("ADMIN_TOKEN", "a-long-admin-token-value"),
        ("HOOK_SECRET", "hook-secret-value"),
    ];
    let (code, out, err) = run(&["config", "check"], &env);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("\"admin_token\": \"***\"") && out.contains("\"secret\": \"***\""),
        "{out}"
    );
    assert!(!out.contains("hook-secret-value") && !out.contains("a-long-admin-token-value"));
    let (code, out, err) = run(&["migrate"], &env);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("migrations applied"));
    assert!(dir.path().join("hw.db").exists());

    let (code, _, err) = run(&["config", "check"], &env[..2]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("HOOK_SECRET") && err.contains("webhooks[0].secret"),
        "{err}"
    );
    let (code, _, _) = run(&["no-such-command"], &env);
    assert_eq!(code, Some(2), "usage errors exit 2");
}

#[test]
fn the_benchmark_harness_runs_a_small_smoke_load() {
    // With filters every event passes: the same deliveries are made.
    let report = bench_smoke(&["--filter-clauses", "5"]);
    assert_eq!(report["filter_clauses"], 5);
    // SQLite's writes are the bytes the server had written to disk.
    assert!(
        report["database_writes"]["disk_bytes_per_s"].as_f64() > Some(0.0),
        "{report}"
    );
}

#[test]
fn the_benchmark_harness_runs_ordered_and_during_a_bulk_retry() {
    let report = bench_smoke(&["--ordering-keys", "3", "--bulk-retry", "150"]);
    assert_eq!(report["ordering_keys"], 3);
    assert_eq!(report["bulk_retry"]["requeued"], 150, "{report}");
    assert!(report["bulk_retry"]["requeue_call_ms"].as_f64().is_some());
}

#[tokio::test]
async fn the_benchmark_harness_runs_a_small_smoke_load_on_postgres() {
    // Skip loudly if PostgreSQL is unreachable, outside CI; the harness creates
    // and drops its own database.
    let Some(admin) = TestDatabase::postgres_admin_url().await else {
        return;
    };
    tokio::task::spawn_blocking(move || {
        let report = bench_smoke(&["--backend", "postgres", "--postgres-url", &admin]);
        assert_eq!(report["backend"], "postgres");
        let writes = &report["database_writes"];
        assert!(writes["commits_per_s"].as_f64() > Some(0.0), "{report}");
        assert!(writes["rows_per_s"].as_f64() > Some(0.0), "{report}");
    })
    .await
    .unwrap();
}

/// Run `hookwire bench` with a small load, check its JSON report and
/// return it.
fn bench_smoke(extra: &[&str]) -> serde_json::Value {
    let out = hookwire()
        .args([
            "bench",
            "--events",
            "60",
            "--webhooks",
            "2",
            "--publishers",
            "4",
            "--json",
        ])
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON report");
    assert_eq!(report["deliveries"], 120);
    for field in [
        "events_per_s",
        "deliveries_per_s",
        "baseline_raw_posts_per_s",
        "ratio_to_baseline",
        "machine_us_per_delivery",
        "machine_us_per_raw_post",
    ] {
        assert!(
            report[field].as_f64().is_some_and(|v| v > 0.0),
            "{field}: {report}"
        );
    }
    // Two baselines, before and after the run; the higher one counts.
    let both: Vec<f64> = report["baseline_before_and_after_per_s"]
        .as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
        .unwrap_or_default();
    assert!(both.len() == 2 && both.iter().all(|v| *v > 0.0), "{report}");
    assert_eq!(
        report["baseline_raw_posts_per_s"].as_f64(),
        Some(both[0].max(both[1])),
        "{report}"
    );
    assert!(report["publish_to_received_ms"]["p99"].as_f64().is_some());
    // CPU is counted in 10 ms ticks: a small run may read 0, never less.
    let per_delivery = &report["cpu_us_per_delivery"];
    for field in ["server", "bench"] {
        assert!(
            per_delivery[field].as_f64().is_some_and(|v| v >= 0.0),
            "{field}: {report}"
        );
    }
    // A PostgreSQL on this machine has its backends' CPU counted too.
    let local_postgres = extra.contains(&"postgres")
        && extra
            .iter()
            .any(|a| a.contains("@127.0.0.1") || a.contains("@localhost"));
    if local_postgres {
        assert!(
            per_delivery["database"].as_f64().is_some_and(|v| v >= 0.0),
            "{report}"
        );
    } else if !extra.contains(&"postgres") {
        assert!(per_delivery["database"].is_null(), "{report}");
    }
    assert!(
        report["server_peak_rss_mb"]
            .as_f64()
            .is_some_and(|v| v > 1.0),
        "{report}"
    );
    report
}

/// The webhook id `hookwire webhooks create` printed (its first line names it).
fn rx_webhook_id(created: &str) -> String {
    created
        .split_whitespace()
        .find(|w| w.starts_with("wh_"))
        .unwrap_or_else(|| panic!("no webhook id in {created:?}"))
        .to_owned()
}
