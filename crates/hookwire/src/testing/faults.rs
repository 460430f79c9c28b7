//! A receiver that misbehaves at the socket level, for fault tests: each
//! connection reads one whole request, then answers with the chosen [`Fault`].
//!
//! Test support only.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How a [`FaultyEndpoint`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The status line at once, then one header byte every 200 ms, forever
    /// (slowloris in reverse).
    Trickle,
    /// A 200 with a 50 MB body, written as fast as the client reads it.
    HugeBody,
    /// Half a header line, then close.
    CloseMidHeaders,
    /// A line that is not HTTP, then close.
    Garbage,
}

/// Size of [`Fault::HugeBody`]'s body.
pub const HUGE_BODY_BYTES: usize = 50 * 1024 * 1024;

/// A listener on 127.0.0.1 answering every request with one [`Fault`].
#[derive(Debug, Clone)]
pub struct FaultyEndpoint {
    /// `http://127.0.0.1:PORT/`
    pub url: String,
    /// Requests read in full so far.
    pub requests: Arc<AtomicUsize>,
    /// Response-body bytes the peer accepted (for [`Fault::HugeBody`]).
    pub body_bytes_written: Arc<AtomicUsize>,
}

impl FaultyEndpoint {
    /// Bind a port and start answering.
    pub async fn start(fault: Fault) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let me = Self {
            url: format!("http://{}/", listener.local_addr()?),
            requests: Arc::default(),
            body_bytes_written: Arc::default(),
        };
        let shared = me.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(shared.clone().answer(sock, fault));
            }
        });
        Ok(me)
    }

    /// Read one whole request, then misbehave as `fault` says.
    async fn answer(self, mut sock: TcpStream, fault: Fault) {
        if read_request(&mut sock).await.is_none() {
            return;
        }
        self.requests.fetch_add(1, Ordering::SeqCst);
        match fault {
            Fault::Trickle => {
                let _ = sock.write_all(b"HTTP/1.1 200 OK\r\n").await;
                for b in b"x-slow: ".iter().cycle() {
                    if sock.write_all(&[*b]).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
            Fault::HugeBody => {
                let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {HUGE_BODY_BYTES}\r\n\r\n");
                let _ = sock.write_all(head.as_bytes()).await;
                let chunk = vec![b'x'; 64 * 1024];
                let mut sent = 0;
                while sent < HUGE_BODY_BYTES {
                    if sock.write_all(&chunk).await.is_err() {
                        return;
                    }
                    sent += chunk.len();
                    self.body_bytes_written
                        .fetch_add(chunk.len(), Ordering::SeqCst);
                }
            }
            Fault::CloseMidHeaders => {
                let _ = sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Ty").await;
            }
            Fault::Garbage => {
                let _ = sock.write_all(b"SSH-2.0-OpenSSH_9.6\r\n\r\n").await;
            }
        }
    }
}

/// Read one request: headers, then `content-length` bytes of body.
async fn read_request(sock: &mut TcpStream) -> Option<Vec<u8>> {
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = req.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&req[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while req.len() < head_end + length {
        match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    Some(req)
}
