//! `hookwire serve` as a child process of the bench, on the bench's database.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::bail;

use super::cpu::cpu_seconds_of;

/// `hookwire serve` as a child process.
pub(super) struct Server {
    child: Child,
    pub(super) base: String,
}

impl Server {
    pub(super) const ADMIN: &'static str = "bench-admin-token-0123456789";

    pub(super) async fn start(db_url: &str) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = std::env::var("HOOKWIRE_BENCH_SERVER_LOG").ok();
        let child = Command::new(std::env::current_exe()?)
            .arg("serve")
            .env("HOOKWIRE_DATABASE_URL", db_url)
            .env("HOOKWIRE_LISTEN", format!("127.0.0.1:{port}"))
            .env("HOOKWIRE_ADMIN_TOKEN", Self::ADMIN)
            .env("HOOKWIRE_ALLOW_HTTP", "true")
            .env("HOOKWIRE_ALLOW_PRIVATE_NETWORKS", "true")
            .env("HOOKWIRE_API_RATE_LIMIT_PER_SECOND", "0")
            // The server's log level (its log goes to stdout, shown only when set):
            // raise it to see e.g. write batch sizes.
            .env("RUST_LOG", log.as_deref().unwrap_or("warn"))
            .env_remove("HOOKWIRE_CONFIG")
            .stdout(if log.is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()?;
        let base = format!("http://127.0.0.1:{port}");
        let server = Self { child, base };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = reqwest::get(format!("{}/readyz", server.base)).await;
            if ready.is_ok_and(|r| r.status() == reqwest::StatusCode::OK) {
                break;
            }
            if Instant::now() > deadline {
                bail!("hookwire serve did not become ready");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(server)
    }

    /// User + system CPU seconds so far.
    pub(super) fn cpu_seconds(&self) -> f64 {
        cpu_seconds_of(&self.child.id().to_string())
    }

    /// Peak resident memory in MB (Linux /proc VmHWM).
    pub(super) fn peak_rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }

    /// Bytes the server has had written to storage so far (Linux /proc
    /// `io`, `write_bytes`): what SQLite's commits cost the disk.
    pub(super) fn disk_write_bytes(&self) -> Option<u64> {
        let io = std::fs::read_to_string(format!("/proc/{}/io", self.child.id())).ok()?;
        io.lines()
            .find_map(|l| l.strip_prefix("write_bytes:"))
            .and_then(|v| v.trim().parse().ok())
    }

    pub(super) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
