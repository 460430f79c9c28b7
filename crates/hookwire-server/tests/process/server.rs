//! Start and kill `hookwire serve` processes.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

pub const ADMIN: &str = "process-test-admin-token";

/// A running `hookwire serve`.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Start a node on `database_url` and wait until it is ready.
    pub async fn start(database_url: &str) -> Self {
        Self::start_with(database_url, &[]).await
    }

    /// Like [`Server::start`], with extra `HOOKWIRE_*` settings.
    pub async fn start_with(database_url: &str, env: &[(&str, &str)]) -> Self {
        Self::start_logging(database_url, env, None).await
    }

    /// Like [`Server::start_with`], writing the process's stdout and stderr to `log`.
    pub async fn start_logging(
        database_url: &str,
        env: &[(&str, &str)],
        log: Option<&std::path::Path>,
    ) -> Self {
        Self::start_serving(database_url, &[], env, log).await
    }

    /// `hookwire serve ARGS…` (e.g. `--role worker`), ready once `/readyz` says so.
    pub async fn start_serving(
        database_url: &str,
        args: &[&str],
        env: &[(&str, &str)],
        log: Option<&std::path::Path>,
    ) -> Self {
        let binary = std::path::Path::new(env!("CARGO_BIN_EXE_hookwire"));
        Self::start_binary(binary, database_url, args, env, log).await
    }

    /// [`Server::start_serving`] with another build of `hookwire` (an older
    /// version, for the upgrade test).
    pub async fn start_binary(
        binary: &std::path::Path,
        database_url: &str,
        args: &[&str],
        env: &[(&str, &str)],
        log: Option<&std::path::Path>,
    ) -> Self {
        let (out, err) = match log {
            Some(path) => {
                let file = std::fs::File::create(path).expect("log file");
                (
                    Stdio::from(file.try_clone().expect("log file")),
                    Stdio::from(file),
                )
            }
            None => (Stdio::null(), Stdio::inherit()),
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new(binary)
            .arg("serve")
            .args(args)
            .current_dir(dir.path())
            .env("HOOKWIRE_DATABASE_URL", database_url)
            .env("HOOKWIRE_LISTEN", format!("127.0.0.1:{port}"))
            .env("HOOKWIRE_ADMIN_TOKEN", ADMIN)
            .env("HOOKWIRE_ALLOW_HTTP", "true")
            .env("HOOKWIRE_ALLOW_PRIVATE_NETWORKS", "true")
            .env("HOOKWIRE_LEASE_SECONDS", "3")
            .env("HOOKWIRE_API_RATE_LIMIT_PER_SECOND", "0")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start hookwire");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await {
                if r.status() == 200 {
                    return server;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "hookwire did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, and wait for the process to exit by itself.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        assert!(sent.success());
        self.child.wait().expect("wait")
    }

    /// SIGKILL: no shutdown handler runs, leases stay behind.
    pub fn kill(mut self) {
        self.child.kill().expect("kill");
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET {base}/api/v1{path}` with `key`, as JSON.
pub async fn get_json(base: &str, key: &str, path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{base}/api/v1{path}"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Admin-side set-up through a node's API: a tenant. Returns its API key.
pub async fn tenant(base: &str) -> String {
    let t: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/tenants"))
        .bearer_auth(ADMIN)
        .json(&json!({ "name": "acme" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    t["api_key"].as_str().unwrap().to_owned()
}

/// [`tenant`] with a webhook to `url`. Returns the tenant's API key.
pub async fn tenant_with_webhook(base: &str, url: &str) -> String {
    let key = tenant(base).await;
    let w = reqwest::Client::new()
        .post(format!("{base}/api/v1/webhooks"))
        .bearer_auth(&key)
        .json(&json!({ "url": url, "events": ["*"], "timeout_seconds": 10,
                       "retry": { "max_attempts": 20, "initial_delay_ms": 100, "max_delay_ms": 1000 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(w.status(), 201);
    key
}

/// Publish one event; `Some(id)` when it was accepted (202).
pub async fn publish(client: &reqwest::Client, base: &str, key: &str, n: usize) -> Option<String> {
    let body = published(client, base, key, n).await?;
    body["id"].as_str().map(str::to_owned)
}

/// Publish one event; the 202 answer (the event and its deliveries as the
/// publish wrote them), `None` when it was not accepted.
pub async fn published(client: &reqwest::Client, base: &str, key: &str, n: usize) -> Option<Value> {
    let resp = client
        .post(format!("{base}/api/v1/events"))
        .bearer_auth(key)
        .json(&json!({ "type": "webhook.test", "data": { "n": n } }))
        .send()
        .await
        .ok()?;
    if resp.status() != 202 {
        return None;
    }
    resp.json().await.ok()
}

/// Wait (up to `within`) until `rx` got every event of `accepted` at `path`
/// at least once, then check that every request it got there verifies with
/// `secret`.
pub async fn all_delivered_and_signed(
    rx: &crate::receiver::Receiver,
    path: &str,
    accepted: &std::collections::HashSet<String>,
    secret: &str,
    within: Duration,
) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let got = rx.at(path);
        let delivered: std::collections::HashSet<&str> = got
            .iter()
            .map(|r| r.headers["webhook-id"].to_str().expect("a webhook-id"))
            .collect();
        let missing = accepted
            .iter()
            .filter(|id| !delivered.contains(id.as_str()))
            .count();
        if missing == 0 {
            let verifier = standardwebhooks::Webhook::new(secret).expect("a secret");
            for r in &got {
                verifier
                    .verify(&r.body, &r.headers)
                    .expect("signature verifies");
            }
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{missing} of {} accepted events never delivered",
            accepted.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
