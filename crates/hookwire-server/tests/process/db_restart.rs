//! PostgreSQL stops and starts again under a serving node: the API answers 503
//! (never 500) while it is down, recovers by itself, and every event it accepted
//! is delivered. Runs against a private cluster (initdb on a free port), so the
//! shared server is never touched.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::receiver::Receiver;
use crate::server::{publish, tenant_with_webhook, Server};

const INITDB: &str = "/usr/local/bin/initdb";
const PG_CTL: &str = "/usr/local/bin/pg_ctl";

/// A throw-away PostgreSQL cluster, stopped and deleted on drop.
struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
}

/// Run a PostgreSQL tool, as the `postgres` user when we are root (PostgreSQL
/// refuses to run as root).
fn pg_tool(tool: &str, args: &[&str]) -> bool {
    let as_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    let mut cmd = if as_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", tool]);
        c
    } else {
        Command::new(tool)
    };
    cmd.args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Cluster {
    fn create() -> Option<Self> {
        if !Path::new(INITDB).exists() || !Path::new(PG_CTL).exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but {INITDB} is missing"
            );
            eprintln!("\n*** SKIPPED: database restart test — no {INITDB} / {PG_CTL} here ***\n");
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let _ = Command::new("chown")
            .args(["postgres", &dir.path().display().to_string()])
            .status();
        let data = dir.path().join("data");
        let ok = pg_tool(
            INITDB,
            &[
                "-D",
                &data.display().to_string(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        assert!(ok, "initdb failed");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let cluster = Self { dir, port };
        cluster.start();
        Some(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        let data = self.data().display().to_string();
        assert!(
            pg_tool(
                PG_CTL,
                &["-D", &data, "-o", &opts, "-l", &log, "-w", "start"]
            ),
            "pg_ctl start failed"
        );
    }

    fn stop(&self) {
        let data = self.data().display().to_string();
        assert!(
            pg_tool(PG_CTL, &["-D", &data, "-m", "fast", "-w", "stop"]),
            "pg_ctl stop failed"
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data().display().to_string();
        pg_tool(PG_CTL, &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }
}

#[tokio::test]
async fn a_database_restart_gives_503s_then_recovers_without_losing_events() {
    let Some(cluster) = Cluster::create() else {
        return;
    };
    let rx = Receiver::start().await;
    let server = Server::start(&cluster.url()).await;
    let key = tenant_with_webhook(&server.base, &rx.url("/hook")).await;
    let client = reqwest::Client::new();
    let mut accepted = Vec::new();
    for n in 0..10 {
        accepted.push(
            publish(&client, &server.base, &key, n)
                .await
                .expect("accepted"),
        );
    }
    rx.wait_for("/hook", 10).await;

    cluster.stop();
    // While it is down: 503 with the error body, never a 500, and readyz says so.
    for n in 0..2 {
        let asked = tokio::time::Instant::now();
        let resp = client
            .post(format!("{}/api/v1/events", server.base))
            .bearer_auth(&key)
            .json(&json!({ "type": "webhook.test", "data": { "down": n } }))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(resp.status(), 503, "publish while the database is down");
        let body: serde_json::Value = resp.json().await.expect("json");
        assert_eq!(body["error"], "unavailable");
        eprintln!("503 after {:?}", asked.elapsed());
    }
    let ready = client
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .expect("readyz answers");
    assert_eq!(ready.status(), 503);

    cluster.start();
    // It recovers by itself: publishing succeeds again within a few seconds.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let first = loop {
        if let Some(id) = publish(&client, &server.base, &key, 100).await {
            break id;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never recovered after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    accepted.push(first);
    for n in 101..110 {
        accepted.push(
            publish(&client, &server.base, &key, n)
                .await
                .expect("accepted"),
        );
    }
    // Every accepted event arrives (at least once).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let seen: Vec<String> = rx
            .at("/hook")
            .iter()
            .filter_map(|r| {
                r.headers
                    .get("webhook-id")?
                    .to_str()
                    .ok()
                    .map(str::to_owned)
            })
            .collect();
        let missing = accepted.iter().filter(|id| !seen.contains(id)).count();
        if missing == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{missing} of {} accepted events never arrived",
            accepted.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill();
}
