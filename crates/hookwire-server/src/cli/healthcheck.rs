//! `hookwire healthcheck`: ask a running server's `/healthz`, exit 0 if it says
//! ok. For container `HEALTHCHECK`s and the like, where no `curl` is installed.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

/// Where to ask when no URL is given: this machine's `listen` address from
/// `HOOKWIRE_LISTEN` (an unspecified address such as `0.0.0.0` asked on
/// loopback), else the default `127.0.0.1:8080`.
pub fn default_url(listen: Option<&str>) -> String {
    let mut addr = listen
        .and_then(|l| l.parse::<SocketAddr>().ok())
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{addr}/healthz")
}

/// GET `url`: exit 0 on a 200, 1 otherwise (with the reason on stderr).
pub async fn run(url: Option<String>) -> anyhow::Result<ExitCode> {
    let url = url.unwrap_or_else(|| default_url(std::env::var("HOOKWIRE_LISTEN").ok().as_deref()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()?;
    match client.get(&url).send().await {
        Ok(resp) if resp.status().is_success() => Ok(ExitCode::SUCCESS),
        Ok(resp) => {
            eprintln!("unhealthy: {url} answered {}", resp.status());
            Ok(ExitCode::from(1))
        }
        Err(e) => {
            eprintln!("unhealthy: {url}: {}", super::report(&e));
            Ok(ExitCode::from(1))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_url_follows_the_listen_address() {
        assert_eq!(super::default_url(None), "http://127.0.0.1:8080/healthz");
        assert_eq!(
            super::default_url(Some("0.0.0.0:9090")),
            "http://127.0.0.1:9090/healthz"
        );
        assert_eq!(
            super::default_url(Some("10.1.2.3:8081")),
            "http://10.1.2.3:8081/healthz"
        );
    }
}
