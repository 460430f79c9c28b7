//! The container image, really built and run: two nodes from the image on one
//! PostgreSQL (host networking), 1,000 events published through both, one node
//! `docker kill`ed midway: every accepted event is delivered, signed. Plus what
//! the image promises: a non-root user, a working health check, every
//! subcommand runnable, at most 100 MB.
//!
//! `.ci/run` builds the image from the repository's Dockerfile and names it in
//! `HOOKWIRE_TEST_IMAGE`; without it (and `CI` unset) the test is skipped with a
//! loud message.

use std::collections::HashSet;
use std::process::Command;
use std::time::{Duration, Instant};

use hookwire::testing::{Backend, TestDatabase};
use serde_json::{json, Value};

use crate::receiver::Receiver;
use crate::server::{all_delivered_and_signed, tenant, ADMIN};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The image to test, or `None` (skip) outside CI.
fn image() -> Option<String> {
    match std::env::var("HOOKWIRE_TEST_IMAGE") {
        Ok(image) => Some(image),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but HOOKWIRE_TEST_IMAGE is not (.ci/run builds the image)"
            );
            eprintln!("\n*** SKIPPED: container test — set HOOKWIRE_TEST_IMAGE to an image built from the Dockerfile ***\n");
            None
        }
    }
}

fn docker(args: &[&str]) -> (bool, String) {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("docker runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text.trim().to_owned())
}

/// A container, removed when dropped.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker(&["rm", "-f", &self.0]);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `hookwire serve` from the image on host networking, listening on `port`.
async fn node(image: &str, db: &str, port: u16) -> Container {
    let name = format!("hookwire-test-{port}");
    let _ = docker(&["rm", "-f", &name]);
    let (ok, out) = docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--network",
        "host",
        "--health-interval",
        "1s",
        "--health-start-period",
        "0s",
        "-e",
        &format!("HOOKWIRE_DATABASE_URL={db}"),
        "-e",
        &format!("HOOKWIRE_LISTEN=127.0.0.1:{port}"),
        "-e",
        &format!("HOOKWIRE_ADMIN_TOKEN={ADMIN}"),
        "-e",
        "HOOKWIRE_ALLOW_HTTP=true",
        "-e",
        "HOOKWIRE_ALLOW_PRIVATE_NETWORKS=true",
        "-e",
        "HOOKWIRE_API_RATE_LIMIT_PER_SECOND=0",
        image,
    ]);
    assert!(ok, "docker run: {out}");
    let container = Container(name);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, health) = docker(&["inspect", "-f", "{{.State.Health.Status}}", &container.0]);
        if health == "healthy" {
            return container;
        }
        assert!(
            Instant::now() < deadline,
            "never healthy ({health}): {}",
            docker(&["logs", &container.0]).1
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn two_containers_on_postgres_lose_nothing_when_one_is_killed() {
    let Some(image) = image() else {
        return;
    };
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    // What the image promises.
    let (_, user) = docker(&["image", "inspect", "-f", "{{.Config.User}}", &image]);
    assert_eq!(user, "10001:10001", "runs as a non-root user");
    let (_, size) = docker(&["image", "inspect", "-f", "{{.Size}}", &image]);
    let size: u64 = size.parse().expect("a size");
    assert!(size <= 100 * 1024 * 1024, "image is {size} bytes");
    let (ok, out) = docker(&[
        "run",
        "--rm",
        "--network",
        "host",
        "-e",
        &format!("HOOKWIRE_DATABASE_URL={}", db.url),
        &image,
        "hookwire",
        "migrate",
    ]);
    assert!(ok && out.contains("migrations applied"), "{out}");

    let rx = Receiver::start().await;
    let (pa, pb) = (free_port(), free_port());
    let a = node(&image, &db.url, pa).await;
    let b = node(&image, &db.url, pb).await;
    let base = |port: u16| format!("http://127.0.0.1:{port}/api/v1");
    let client = reqwest::Client::new();
    let key = tenant(&format!("http://127.0.0.1:{pa}")).await;
    let created = client
        .post(format!("{}/webhooks", base(pb)))
        .bearer_auth(&key)
        .json(&json!({ "url": rx.url("/in"), "events": ["*"], "secret": SECRET,
                       "retry": { "max_attempts": 20, "initial_delay_ms": 100, "max_delay_ms": 1000 } }))
        .send().await.unwrap();
    assert_eq!(created.status(), 201);

    // 1,000 publishes through both nodes; B is killed after the 400th.
    let mut accepted = HashSet::new();
    let mut b_alive = Some(b);
    for n in 0..1000 {
        if n == 400 {
            let killed = b_alive.take().expect("B runs");
            let (ok, out) = docker(&["kill", &killed.0]);
            assert!(ok, "docker kill: {out}");
        }
        let port = if n % 2 == 1 && b_alive.is_some() {
            pb
        } else {
            pa
        };
        let resp = client
            .post(format!("{}/events", base(port)))
            .bearer_auth(&key)
            .json(&json!({ "type": "webhook.test", "data": { "n": n } }))
            .send()
            .await;
        if let Ok(resp) = resp {
            if resp.status() == 202 {
                let body: Value = resp.json().await.unwrap();
                accepted.insert(body["id"].as_str().unwrap().to_owned());
            }
        }
    }
    assert!(accepted.len() >= 999, "only {} accepted", accepted.len());

    // Every accepted event arrives (B's leases are taken back after ~30 s),
    // and every request verifies with the webhook's secret.
    all_delivered_and_signed(&rx, "/in", &accepted, SECRET, Duration::from_secs(90)).await;
    drop(a);
}
