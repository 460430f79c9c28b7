//! The HTTP sender's SSRF guard, against a real listener on 127.0.0.1 that counts
//! the connections it accepts, with the system resolver and with one the test
//! controls (DNS rebinding); through an egress proxy (`egress_proxy`); and with
//! TLS client certificates (`client_certificate`).

mod client_certificate;
mod egress_proxy;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hookwire::delivery::http::ErrorKind;
use hookwire::delivery::HttpSender;
use hookwire::net::{Lookup, Resolving, UrlPolicy};
use hookwire::webhook_url::WebhookUrl;
use reqwest::header::HeaderMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A listener answering every connection with `200 OK`; returns (port, count).
pub(crate) async fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            // Read the request (headers and the 2-byte body) before answering.
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            while !req.ends_with(b"\r\n\r\n{}") {
                match sock.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .await;
        }
    });
    (port, count)
}

pub(crate) const HTTP_ONLY: UrlPolicy = UrlPolicy {
    allow_http: true,
    allow_private_networks: false,
};

pub(crate) async fn post(sender: &HttpSender, url: &str) -> hookwire::delivery::http::Response {
    sender
        .post(
            url,
            HeaderMap::new(),
            b"{}".to_vec(),
            Duration::from_secs(2),
            None,
        )
        .await
}

#[tokio::test]
async fn internal_addresses_are_refused_at_connect_time_whatever_the_spelling() {
    let (port, count) = counting_listener().await;
    let strict = HttpSender::new(HTTP_ONLY);
    for url in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://0x7f.0.0.1:{port}/"),
        format!("http://0177.0.0.1:{port}/"),
        format!("http://127.1:{port}/"),
        format!("http://0.0.0.0:{port}/"),
        format!("http://localhost:{port}/"),
        format!("http://[::1]:{port}/"),
        format!("http://[::ffff:7f00:1]:{port}/"),
    ] {
        let resp = post(&strict, &url).await;
        let (kind, msg) = resp.error.clone().expect("refused");
        assert_eq!(kind, ErrorKind::ForbiddenAddress, "{url}: {msg}");
        assert_eq!(resp.status, None);
    }
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "a forbidden address was connected to"
    );
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_by_the_resolver() {
    // Host names are judged on what they resolve to at delivery time, so a name
    // that was public at registration and points inside now is refused.
    let (port, count) = counting_listener().await;
    let strict = HttpSender::new(HTTP_ONLY);
    let resp = post(&strict, &format!("http://localhost:{port}/")).await;
    let (kind, msg) = resp.error.expect("refused");
    assert_eq!(kind, ErrorKind::ForbiddenAddress);
    assert!(msg.contains("resolves only to internal addresses"), "{msg}");
    assert_eq!(count.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn private_networks_can_be_allowed() {
    let (port, count) = counting_listener().await;
    let open = HttpSender::new(UrlPolicy {
        allow_http: true,
        allow_private_networks: true,
    });
    let resp = post(&open, &format!("http://localhost:{port}/")).await;
    assert_eq!(resp.status, Some(200), "{:?}", resp.error);
    assert_eq!(resp.body.as_deref(), Some("ok"));
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_reset_connection_and_a_redirect_are_failed_attempts() {
    // Accept, then close without a word.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            drop(sock);
        }
    });
    let open = HttpSender::new(UrlPolicy {
        allow_http: true,
        allow_private_networks: true,
    });
    let resp = post(&open, &format!("http://127.0.0.1:{port}/")).await;
    assert_eq!(resp.status, None);
    assert!(resp.error.is_some());

    // A redirect is reported, never followed.
    let redirect = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rport = redirect.local_addr().unwrap().port();
    let (target_port, followed) = counting_listener().await;
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = redirect.accept().await {
            let mut buf = [0u8; 2048];
            let _ = sock.read(&mut buf).await;
            let answer = format!(
                "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{target_port}/\r\ncontent-length: 0\r\n\r\n"
            );
            let _ = sock.write_all(answer.as_bytes()).await;
        }
    });
    let resp = post(&open, &format!("http://127.0.0.1:{rport}/")).await;
    assert_eq!(resp.status, Some(302));
    assert_eq!(
        followed.load(Ordering::SeqCst),
        0,
        "the redirect was followed"
    );
}

/// A resolver whose first answer is `first` and every later one `then`: a DNS
/// record changed between registration and delivery (DNS rebinding).
struct Rebinding {
    calls: AtomicUsize,
    first: IpAddr,
    then: IpAddr,
}

impl Lookup for Rebinding {
    fn lookup(&self, _host: &str, port: u16) -> Resolving {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let ip = if n == 0 { self.first } else { self.then };
        Box::pin(async move { Ok(vec![SocketAddr::new(ip, port)]) })
    }
}

#[tokio::test]
async fn a_name_that_rebinds_to_an_internal_address_after_registration_is_never_reached() {
    let (port, count) = counting_listener().await;
    let url = format!("http://rebind.example:{port}/");
    for internal in [
        "127.0.0.1",
        "::ffff:127.0.0.1",
        "169.254.169.254",
        "10.1.2.3",
        "100.64.0.1",
    ] {
        let dns = Arc::new(Rebinding {
            calls: AtomicUsize::new(0),
            first: "93.184.216.34".parse().unwrap(),
            then: internal.parse().unwrap(),
        });
        let registered = WebhookUrl::parse_and_resolve_with(&url, &HTTP_ONLY, dns.as_ref()).await;
        assert!(registered.is_ok(), "public at registration: {registered:?}");
        let sender = HttpSender::with_lookup(HTTP_ONLY, dns.clone());
        for _ in 0..2 {
            let resp = post(&sender, &url).await;
            assert_eq!(resp.status, None);
            assert_eq!(
                resp.error.map(|e| e.0),
                Some(ErrorKind::ForbiddenAddress),
                "{internal}"
            );
        }
        assert!(
            dns.calls.load(Ordering::SeqCst) >= 2,
            "every delivery asks DNS"
        );
    }
    assert_eq!(count.load(Ordering::SeqCst), 0, "a connection got through");
}

#[tokio::test]
async fn a_name_resolving_to_an_internal_address_at_registration_is_refused() {
    let dns = Rebinding {
        calls: AtomicUsize::new(0),
        first: "192.168.1.10".parse().unwrap(),
        then: "192.168.1.10".parse().unwrap(),
    };
    let err = WebhookUrl::parse_and_resolve_with(
        "https://intranet.example/hook",
        &UrlPolicy::default(),
        &dns,
    )
    .await
    .expect_err("refused");
    assert_eq!(err.field, "url");
    assert!(err.message.contains("192.168.1.10"), "{}", err.message);
}
