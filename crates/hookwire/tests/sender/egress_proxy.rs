//! Deliveries through an egress proxy: a small forward proxy on 127.0.0.1
//! ([`ForwardProxy`]) records the request line of everything it forwards
//! (`CONNECT host:port` for https, the absolute-form request for http) and
//! passes the bytes on to a receiver on 127.0.0.1. The URL rules are still
//! hookwire's: a target whose name resolves to an internal address never
//! reaches the proxy.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use hookwire::delivery::http::ErrorKind;
use hookwire::delivery::{EgressProxy, HttpSender};
use hookwire::net::{Lookup, Resolving};
use hookwire::testing::forward_proxy::ForwardProxy;

use crate::{counting_listener, post, HTTP_ONLY};

/// Names the test resolves, as a DNS server would answer them.
struct Names(HashMap<&'static str, IpAddr>);

impl Lookup for Names {
    fn lookup(&self, host: &str, port: u16) -> Resolving {
        let answer = self.0.get(host).map(|ip| vec![SocketAddr::new(*ip, port)]);
        let host = host.to_owned();
        Box::pin(async move {
            answer.ok_or_else(|| std::io::Error::other(format!("no such host {host}")))
        })
    }
}

fn names() -> Arc<Names> {
    Arc::new(Names(HashMap::from([
        ("hooks.example.test", "93.184.216.34".parse().unwrap()),
        ("inside.example.test", "10.1.2.3".parse().unwrap()),
        ("proxy.example.test", "127.0.0.1".parse().unwrap()),
    ])))
}

#[tokio::test]
async fn every_delivery_goes_through_the_proxy_and_the_url_rules_still_hold() {
    let (port, _) = counting_listener().await;
    let proxy = ForwardProxy::start().await.unwrap();
    let via = EgressProxy::parse(&proxy.url).unwrap();
    let sender = HttpSender::with_proxy(HTTP_ONLY, names(), Some(&via));

    // http: the request itself goes to the proxy, in absolute form.
    let url = format!("http://hooks.example.test:{port}/hook");
    let resp = post(&sender, &url).await;
    assert_eq!(resp.status, Some(200), "{:?}", resp.error);
    assert_eq!(proxy.seen(), [format!("POST {url} HTTP/1.1")]);

    // A name that resolves to an internal address is refused here: the
    // proxy, which would connect anywhere, never hears of it.
    for refused in [
        format!("http://inside.example.test:{port}/"),
        format!("http://127.0.0.1:{port}/"),
    ] {
        let resp = post(&sender, &refused).await;
        let (kind, message) = resp.error.expect("refused");
        assert_eq!(kind, ErrorKind::ForbiddenAddress, "{refused}: {message}");
        assert_eq!(resp.status, None);
    }
    let unknown = post(&sender, &format!("http://nowhere.example.test:{port}/")).await;
    assert_eq!(unknown.error.map(|e| e.0), Some(ErrorKind::Connect));
    assert_eq!(proxy.seen().len(), 1, "{:?}", proxy.seen());

    // https: a CONNECT tunnel to the target's host and port (the TLS
    // handshake then fails: this receiver speaks plain HTTP).
    let resp = post(&sender, &format!("https://hooks.example.test:{port}/hook")).await;
    assert_eq!(resp.status, None);
    assert_eq!(
        proxy.seen().last().map(String::as_str),
        Some(format!("CONNECT hooks.example.test:{port} HTTP/1.1").as_str())
    );
}

#[tokio::test]
async fn a_proxy_named_by_host_is_reached_even_on_a_private_address() {
    let (port, _) = counting_listener().await;
    let proxy = ForwardProxy::start().await.unwrap();
    // The proxy's name resolves to 127.0.0.1, which the URL rules refuse for
    // targets: the operator's own proxy is not a target.
    let via = EgressProxy::parse(&format!("http://proxy.example.test:{}", proxy.port())).unwrap();
    let sender = HttpSender::with_proxy(HTTP_ONLY, names(), Some(&via));
    let url = format!("http://hooks.example.test:{port}/");
    let resp = post(&sender, &url).await;
    assert_eq!(resp.status, Some(200), "{:?}", resp.error);
    assert_eq!(proxy.seen(), [format!("POST {url} HTTP/1.1")]);
    // Without the proxy, the same sender rules would refuse that address.
    let direct = HttpSender::with_lookup(HTTP_ONLY, names());
    let resp = post(&direct, &format!("http://proxy.example.test:{port}/")).await;
    assert_eq!(resp.error.map(|e| e.0), Some(ErrorKind::ForbiddenAddress));
}
