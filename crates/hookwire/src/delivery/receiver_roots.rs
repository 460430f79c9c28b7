//! CA certificates trusted for receivers besides the public web roots.
//!
//! Receivers that ask for a client certificate often sit behind a private CA
//! too; an operator names its certificates with the config key
//! `receiver_ca_file`, and every delivery trusts them as well as the usual
//! public roots. This module owns parsing them; the sender (`http.rs`)
//! installs them on its clients.
//!
//! It reads and checks certificates once at start; it does not build clients
//! (that is [`crate::delivery::http`]).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use crate::ValidationError;

/// Extra trusted CA certificates, parsed.
#[derive(Clone)]
pub struct ReceiverRoots(Vec<reqwest::Certificate>);

impl std::fmt::Debug for ReceiverRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReceiverRoots({} certificates)", self.0.len())
    }
}

impl ReceiverRoots {
    /// The config key these come from, named in their errors.
    pub const KEY: &'static str = "receiver_ca_file";

    /// Parse a PEM bundle of one or more CA certificates. No certificate, or
    /// one that does not parse, is refused naming `receiver_ca_file`.
    pub fn from_pem(pem: &[u8]) -> Result<Self, ValidationError> {
        let bad = |why: String| ValidationError::field(Self::KEY, why);
        let ders = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(format!("is not a PEM file of certificates: {e}")))?;
        if ders.is_empty() {
            return Err(bad(
                "holds no certificate (expected -----BEGIN CERTIFICATE----- blocks)".into(),
            ));
        }
        ders.iter()
            .map(|der| {
                reqwest::Certificate::from_der(der.as_ref())
                    .map_err(|e| bad(format!("holds a certificate that cannot be used: {e}")))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// The certificates, for a client builder.
    pub(crate) fn certificates(&self) -> &[reqwest::Certificate] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_parses_and_junk_is_refused_naming_the_key() {
        let ca = rcgen::CertificateParams::new(Vec::<String>::new())
            .and_then(|p| p.self_signed(&rcgen::KeyPair::generate()?))
            .expect("certificate");
        let two = format!("{}{}", ca.pem(), ca.pem());
        assert_eq!(
            ReceiverRoots::from_pem(two.as_bytes())
                .expect("parses")
                .0
                .len(),
            2
        );
        for bad in [&b""[..], b"not pem", b"-----BEGIN CERTIFICATE-----\nzz\n"] {
            let err = ReceiverRoots::from_pem(bad).expect_err("refused");
            assert_eq!(err.field, "receiver_ca_file");
        }
    }
}
