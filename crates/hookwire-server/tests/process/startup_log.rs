//! What `serve` tells its operator at start: where the dashboard and the API
//! reference are, in plain text when the log is not a terminal, or as JSON.

use crate::server::Server;

#[tokio::test]
async fn the_startup_log_names_the_dashboard_without_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("hw.db").display());
    for (format, log) in [("text", "text.log"), ("json", "json.log")] {
        let log = dir.path().join(log);
        let server = Server::start_logging(
            &url,
            &[("RUST_LOG", "info"), ("HOOKWIRE_LOG_FORMAT", format)],
            Some(&log),
        )
        .await;
        let base = server.base.clone();
        assert_eq!(server.terminate().code(), Some(0));
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.contains(&format!("{base}/ui")), "{format}: {text}");
        assert!(text.contains(&format!("{base}/docs")), "{format}: {text}");
        assert!(
            !text.contains('\u{1b}'),
            "{format}: colour codes in a file: {text:?}"
        );
        if format == "json" {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                serde_json::from_str::<serde_json::Value>(line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            }
        }
    }
}
