//! What a request that got no response failed of, in words an operator can
//! act on: a forbidden address, a refused or missing client certificate, a
//! timeout, a refused connection.

use super::guard::Forbidden;
use super::ErrorKind;

/// What went wrong with a request that got no response. `presented`: the
/// request had a client certificate to present.
pub(super) fn classify(e: &reqwest::Error, presented: bool) -> (ErrorKind, String) {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(f) = err.downcast_ref::<Forbidden>() {
            return (ErrorKind::ForbiddenAddress, f.to_string());
        }
        if let Some(alert) = certificate_alert(err) {
            let why = if presented {
                "the receiver refused this webhook's TLS client certificate"
            } else {
                "the receiver asks for a TLS client certificate and this webhook has none"
            };
            return (
                ErrorKind::Connect,
                format!("{why} ({alert:?}): {}", error_chain(e)),
            );
        }
        source = err.source();
    }
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_connect() {
        ErrorKind::Connect
    } else {
        ErrorKind::Request
    };
    (kind, error_chain(e))
}

/// The TLS alert a receiver ended the handshake with, if it is one a server
/// sends about the client's certificate (none given, or not accepted). With
/// TLS 1.3 it arrives after the client thinks the handshake is done, as an
/// I/O error (whose `source` skips the TLS error it wraps: hence `get_ref`).
fn certificate_alert(err: &(dyn std::error::Error + 'static)) -> Option<rustls::AlertDescription> {
    use rustls::AlertDescription as A;
    let tls = err.downcast_ref::<rustls::Error>().or_else(|| {
        err.downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    });
    match tls? {
        rustls::Error::AlertReceived(
            alert @ (A::CertificateRequired
            | A::BadCertificate
            | A::UnsupportedCertificate
            | A::CertificateRevoked
            | A::CertificateExpired
            | A::CertificateUnknown
            | A::UnknownCA
            | A::DecryptError
            | A::AccessDenied),
        ) => Some(*alert),
        _ => None,
    }
}

/// The error and every source under it, joined: reqwest's own message alone
/// ("error sending request") hides what actually failed.
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}
