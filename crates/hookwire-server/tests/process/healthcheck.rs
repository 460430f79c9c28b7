//! `hookwire healthcheck`, the container image's HEALTHCHECK: 0 while the
//! server's /healthz answers, 1 with the reason once nothing does.

use crate::cli::hookwire;
use crate::server::Server;

#[tokio::test]
async fn healthcheck_exits_0_for_a_live_server_and_1_with_the_reason_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&format!("sqlite://{}", dir.path().join("hw.db").display())).await;
    let url = format!("{}/healthz", server.base);
    let run = |url: &str| {
        hookwire()
            .args(["healthcheck", "--url", url])
            .output()
            .expect("runs")
    };
    let live = run(&url);
    assert_eq!(live.status.code(), Some(0), "{live:?}");
    // The default URL follows HOOKWIRE_LISTEN.
    let listen = server.base.trim_start_matches("http://").to_owned();
    let by_env = hookwire()
        .arg("healthcheck")
        .env("HOOKWIRE_LISTEN", &listen)
        .output()
        .expect("runs");
    assert_eq!(by_env.status.code(), Some(0), "{by_env:?}");
    server.kill();
    let dead = run(&url);
    let err = String::from_utf8_lossy(&dead.stderr);
    assert_eq!(dead.status.code(), Some(1), "{err}");
    assert!(err.contains("unhealthy") && err.contains(&url), "{err}");
}
