//! Mutual TLS at the sender: a receiver on 127.0.0.1 that requires a client
//! certificate from its own CA gets the webhook's certificate, one client
//! per certificate; without one, or with one its CA did not issue, the
//! attempt fails saying so.

use std::time::Duration;

use chrono::Utc;
use hookwire::delivery::{HttpSender, ReceiverRoots};
use hookwire::net::UrlPolicy;
use hookwire::secret::ClientCertificate;
use hookwire::testing::tls_receiver::{Received, TlsReceiver};
use reqwest::header::HeaderMap;

/// Loopback allowed; https only, like production.
const LOOPBACK: UrlPolicy = UrlPolicy {
    allow_http: false,
    allow_private_networks: true,
};

fn sender_trusting(rx: &TlsReceiver) -> HttpSender {
    let roots = ReceiverRoots::from_pem(rx.ca_pem().as_bytes()).expect("the CA parses");
    HttpSender::new(LOOPBACK).trusting(&roots)
}

async fn post(
    sender: &HttpSender,
    url: &str,
    certificate: Option<&ClientCertificate>,
) -> hookwire::delivery::http::Response {
    sender
        .post(
            url,
            HeaderMap::new(),
            b"{}".to_vec(),
            Duration::from_secs(5),
            certificate,
        )
        .await
}

#[tokio::test]
async fn the_webhooks_certificate_is_presented_and_each_certificate_is_its_own() {
    let rx = TlsReceiver::start().await.expect("receiver");
    let sender = sender_trusting(&rx);
    let first =
        ClientCertificate::parse(rx.issue_client_certificate("first"), Utc::now()).expect("valid");
    let second =
        ClientCertificate::parse(rx.issue_client_certificate("second"), Utc::now()).expect("valid");
    for (path, cert) in [("/a", &first), ("/b", &second), ("/c", &first)] {
        let resp = post(&sender, &rx.url(path), Some(cert)).await;
        assert_eq!(resp.status, Some(200), "{:?}", resp.error);
    }
    let who: Vec<Received> = rx.received();
    let names: Vec<(&str, &str)> = who
        .iter()
        .map(|r| (r.path.as_str(), r.client.as_str()))
        .collect();
    assert_eq!(names, [("/a", "first"), ("/b", "second"), ("/c", "first")]);
}

#[tokio::test]
async fn without_a_certificate_or_with_a_foreign_one_the_attempt_says_why() {
    let rx = TlsReceiver::start().await.expect("receiver");
    let other = TlsReceiver::start().await.expect("another CA");
    let sender = sender_trusting(&rx);
    let foreign = ClientCertificate::parse(other.issue_client_certificate("stranger"), Utc::now())
        .expect("valid");
    for cert in [None, Some(&foreign)] {
        let resp = post(&sender, &rx.url("/hook"), cert).await;
        assert_eq!(resp.status, None);
        let (_, message) = resp.error.expect("an error");
        assert!(
            message.to_lowercase().contains("certificate"),
            "names the certificate: {message}"
        );
    }
    assert!(rx.received().is_empty());
    assert_eq!(rx.refused(), 2);
}

#[tokio::test]
async fn a_receiver_behind_an_untrusted_ca_is_refused() {
    let rx = TlsReceiver::start().await.expect("receiver");
    let cert =
        ClientCertificate::parse(rx.issue_client_certificate("x"), Utc::now()).expect("valid");
    let resp = post(&HttpSender::new(LOOPBACK), &rx.url("/hook"), Some(&cert)).await;
    let (_, message) = resp.error.expect("not trusted");
    assert!(message.contains("certificate"), "{message}");
    assert!(rx.received().is_empty());
}
