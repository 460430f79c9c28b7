//! The HTTP sender against receivers that misbehave at the socket level: a
//! trickled response, a 50 MB body, a connection closed mid-headers, bytes that
//! are not HTTP. Each must end as one bounded, correctly classified attempt.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hookwire::delivery::http::{ErrorKind, Response, RESPONSE_EXCERPT_BYTES};
use hookwire::delivery::HttpSender;
use hookwire::net::UrlPolicy;
use hookwire::testing::faults::{Fault, FaultyEndpoint, HUGE_BODY_BYTES};
use reqwest::header::HeaderMap;

async fn post(url: &str, timeout: Duration) -> Response {
    let sender = HttpSender::new(UrlPolicy {
        allow_http: true,
        allow_private_networks: true,
    });
    sender
        .post(url, HeaderMap::new(), b"{}".to_vec(), timeout, None)
        .await
}

async fn endpoint(fault: Fault) -> FaultyEndpoint {
    FaultyEndpoint::start(fault).await.expect("listener")
}

#[tokio::test]
async fn a_trickled_response_times_out_at_the_webhook_timeout() {
    let ep = endpoint(Fault::Trickle).await;
    let started = Instant::now();
    let resp = post(&ep.url, Duration::from_secs(1)).await;
    assert_eq!(resp.status, None);
    assert_eq!(resp.error.map(|e| e.0), Some(ErrorKind::Timeout));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "took {took:?}"
    );
}

#[tokio::test]
async fn a_fifty_megabyte_body_is_cut_at_the_excerpt_and_not_downloaded() {
    let ep = endpoint(Fault::HugeBody).await;
    let resp = post(&ep.url, Duration::from_secs(10)).await;
    assert_eq!(resp.status, Some(200));
    assert_eq!(resp.body.map(|b| b.len()), Some(RESPONSE_EXCERPT_BYTES));
    // Give the writer a moment to notice the closed connection.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = ep.body_bytes_written.load(Ordering::SeqCst);
    assert!(
        sent < HUGE_BODY_BYTES / 4,
        "the receiver got to write {sent} bytes: the body was downloaded"
    );
}

#[tokio::test]
async fn a_connection_closed_mid_headers_is_a_request_error() {
    let ep = endpoint(Fault::CloseMidHeaders).await;
    let resp = post(&ep.url, Duration::from_secs(5)).await;
    assert_eq!(resp.status, None);
    let (kind, message) = resp.error.expect("an error");
    assert_eq!(kind, ErrorKind::Request, "{message}");
}

#[tokio::test]
async fn bytes_that_are_not_http_are_a_request_error() {
    let ep = endpoint(Fault::Garbage).await;
    let resp = post(&ep.url, Duration::from_secs(5)).await;
    assert_eq!(resp.status, None);
    let (kind, message) = resp.error.expect("an error");
    assert_eq!(kind, ErrorKind::Request, "{message}");
}
