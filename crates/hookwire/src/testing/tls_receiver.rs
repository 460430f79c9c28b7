//! An HTTPS receiver on 127.0.0.1 that requires a TLS client certificate,
//! for mutual-TLS tests. It makes its own CA (with `rcgen`), serves a
//! certificate for `127.0.0.1` and `localhost` issued by it, accepts only
//! clients whose certificate that CA issued, and answers every request 200.
//! Tests trust [`TlsReceiver::ca_pem`] in the sender and give webhooks a
//! certificate from [`TlsReceiver::issue_client_certificate`].
//!
//! Test support only; its CA lives as long as the receiver.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;

use crate::secret::ClientCertificateDraft;

/// Setup errors, boxed: a test only reports them.
type Error = Box<dyn std::error::Error + Send + Sync>;

/// One request the receiver answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The request path.
    pub path: String,
    /// The common name of the client certificate presented.
    pub client: String,
}

/// What the receiver saw.
#[derive(Debug, Default)]
struct Log {
    received: Vec<Received>,
    /// Handshakes that failed (no certificate, or one the CA did not issue).
    refused: usize,
}

/// A running mutual-TLS receiver.
pub struct TlsReceiver {
    port: u16,
    ca: CertifiedIssuer<'static, KeyPair>,
    log: Arc<Mutex<Log>>,
}

impl std::fmt::Debug for TlsReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsReceiver")
            .field("port", &self.port)
            .finish()
    }
}

impl TlsReceiver {
    /// Make the CA and the server certificate, bind a port, start serving.
    pub async fn start() -> Result<Self, Error> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // Named after the port: two receivers' CAs are two issuers.
        ca_params.distinguished_name = name(&format!("hookwire test CA {port}"));
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;

        let server_key = KeyPair::generate()?;
        let mut server_params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_cert = server_params.signed_by(&server_key, &ca)?;

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.der().clone())?;
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()?;
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![server_cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
            )?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let log = Arc::new(Mutex::new(Log::default()));
        let serving = log.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let log = serving.clone();
                tokio::spawn(async move {
                    match acceptor.accept(sock).await {
                        Ok(tls) => serve(tls, log).await,
                        Err(_) => lock(&log).refused += 1,
                    }
                });
            }
        });
        Ok(Self { port, ca, log })
    }

    /// `https://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// The CA certificate, PEM: what the sender must trust to reach this
    /// receiver (`receiver_ca_file`).
    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// A client certificate for `common_name`, issued by this receiver's CA
    /// and valid for years: one it accepts.
    pub fn issue_client_certificate(&self, common_name: &str) -> ClientCertificateDraft {
        self.issue(common_name, false)
    }

    /// Like [`issue_client_certificate`](Self::issue_client_certificate),
    /// but valid only during the year 2000.
    pub fn issue_expired_client_certificate(&self, common_name: &str) -> ClientCertificateDraft {
        self.issue(common_name, true)
    }

    /// A client certificate issued by this receiver's CA, with its key.
    fn issue(&self, common_name: &str, expired: bool) -> ClientCertificateDraft {
        let key = KeyPair::generate().expect("generate a key pair");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("empty SAN list");
        params.distinguished_name = name(common_name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        if expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let cert = params
            .signed_by(&key, &self.ca)
            .expect("sign a client certificate");
        ClientCertificateDraft {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// The requests answered so far, in order.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.log).received.clone()
    }

    /// How many handshakes it refused so far.
    pub fn refused(&self) -> usize {
        lock(&self.log).refused
    }
}

/// A distinguished name of just a common name.
fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

/// The log, even after a panicking test thread poisoned it.
fn lock(log: &Mutex<Log>) -> std::sync::MutexGuard<'_, Log> {
    log.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Answer the requests of one accepted TLS connection, recording each with
/// the common name of the certificate its client presented.
async fn serve(tls: tokio_rustls::server::TlsStream<tokio::net::TcpStream>, log: Arc<Mutex<Log>>) {
    let client = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|certs| certs.first())
        .map(common_name)
        .unwrap_or_default();
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        lock(&log).received.push(Received {
            path: req.uri().path().to_owned(),
            client: client.clone(),
        });
        async { Ok::<_, Infallible>(hyper::Response::new(String::from("ok"))) }
    });
    let io = hyper_util::rt::TokioIo::new(tls);
    // A connection the client drops mid-request is the test's business.
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}

/// The certificate's subject common name (empty if it has none).
fn common_name(cert: &CertificateDer<'_>) -> String {
    x509_parser::parse_x509_certificate(cert.as_ref())
        .ok()
        .and_then(|(_, c)| {
            c.subject()
                .iter_common_name()
                .next()
                .and_then(|cn| cn.as_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_default()
}
