//! A forward proxy on 127.0.0.1 for egress-proxy tests: it records the
//! request line of everything it forwards (`CONNECT host:port` for https,
//! the absolute-form request for http) and relays each connection to
//! 127.0.0.1 at the port the request names, whatever the host, so tests can
//! use names that exist only in their own resolver. A plain-http request is
//! forwarded with `connection: close`, so each one arrives on a connection
//! of its own and is recorded.
//!
//! Test support only; it relays to loopback and nowhere else.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running forward proxy.
#[derive(Debug, Clone)]
pub struct ForwardProxy {
    /// `http://127.0.0.1:PORT`, the value for `egress_proxy`.
    pub url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl ForwardProxy {
    /// Bind a port and start relaying.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(relay(sock, log.clone()));
            }
        });
        Ok(Self {
            url: format!("http://127.0.0.1:{port}"),
            seen,
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.url
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .unwrap_or_default()
    }

    /// The request lines it forwarded so far, in order.
    pub fn seen(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Read one request line, log it, and relay the connection to loopback.
async fn relay(mut client: TcpStream, log: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match client.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let line = text.lines().next().unwrap_or_default().to_owned();
    log.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(line.clone());
    // "CONNECT host:port HTTP/1.1" or "POST http://host:port/path HTTP/1.1".
    let target = line.split(' ').nth(1).unwrap_or_default();
    let authority = target.strip_prefix("http://").unwrap_or(target);
    let authority = authority.split('/').next().unwrap_or_default();
    let Some(port) = authority
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok())
    else {
        return;
    };
    let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", port)).await else {
        return;
    };
    if line.starts_with("CONNECT ") {
        let ok = b"HTTP/1.1 200 Connection Established\r\n\r\n";
        if client.write_all(ok).await.is_err() {
            return;
        }
    } else {
        // One request per connection (`connection: close` added after the
        // request line), so the next one comes on a new connection and is
        // recorded too.
        let first_line_end = head.windows(2).position(|w| w == b"\r\n").unwrap_or(0) + 2;
        let mut forwarded = head[..first_line_end].to_vec();
        forwarded.extend_from_slice(b"connection: close\r\n");
        forwarded.extend_from_slice(&head[first_line_end..]);
        if upstream.write_all(&forwarded).await.is_err() {
            return;
        }
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}
