//! A webhook's TLS client certificate (mutual TLS).
//!
//! Some receivers authenticate the sender by its certificate instead of (or
//! besides) the signature. A webhook may carry a certificate chain and its
//! private key; the sender presents them when the receiver asks for one
//! during the TLS handshake. They are write-only in the API, and the store
//! seals them like webhook secrets (see [`sealer`](super::sealer)).
//!
//! This module owns checking a submitted pair (both parse, the key is the
//! certificate's, the certificate has not expired) and the stored form. It
//! does not build HTTP clients: the sender does, from [`ClientCertificate::identity_pem`].

use chrono::{DateTime, Utc};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ValidationError;

/// The API field that carries a certificate, named in every error.
pub const FIELD: &str = "client_certificate";
/// Longest accepted certificate chain, PEM.
const MAX_CERT_PEM: usize = 64 * 1024;
/// Longest accepted private key, PEM.
const MAX_KEY_PEM: usize = 16 * 1024;

/// A client certificate as clients send it (`client_certificate` on a webhook).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientCertificateDraft {
    /// The certificate, PEM, optionally followed by its intermediates (leaf
    /// first).
    #[cfg_attr(
        feature = "openapi",
        schema(example = "-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----\n")
    )]
    pub cert_pem: String,
    /// The certificate's private key, PEM (PKCS#8, PKCS#1 RSA or SEC1 EC).
    #[cfg_attr(
        feature = "openapi",
        schema(example = "-----BEGIN PRIVATE KEY-----\nMIGH…\n-----END PRIVATE KEY-----\n")
    )]
    pub key_pem: String,
}

/// A checked certificate chain and its private key. The key never appears in
/// `Debug` output.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCertificate {
    cert_pem: String,
    key_pem: String,
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientCertificate(***)")
    }
}

impl ClientCertificate {
    /// Check `draft` at `now`: the certificate chain parses, the key parses
    /// and belongs to the first certificate, and that certificate has not
    /// expired. Errors name `client_certificate.cert_pem`,
    /// `client_certificate.key_pem`, or `client_certificate` for a pair
    /// that does not belong together.
    pub fn parse(
        draft: ClientCertificateDraft,
        now: DateTime<Utc>,
    ) -> Result<Self, ValidationError> {
        let cert_field = format!("{FIELD}.cert_pem");
        let key_field = format!("{FIELD}.key_pem");
        if draft.cert_pem.len() > MAX_CERT_PEM {
            return Err(ValidationError::field(
                &cert_field,
                format!("must be at most {MAX_CERT_PEM} bytes"),
            ));
        }
        if draft.key_pem.len() > MAX_KEY_PEM {
            return Err(ValidationError::field(
                &key_field,
                format!("must be at most {MAX_KEY_PEM} bytes"),
            ));
        }
        let chain = CertificateDer::pem_slice_iter(draft.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ValidationError::field(&cert_field, format!("is not valid PEM: {e}")))?;
        let Some(leaf) = chain.first() else {
            return Err(ValidationError::field(
                &cert_field,
                "holds no certificate (expected a -----BEGIN CERTIFICATE----- block)",
            ));
        };
        let not_after = not_after(leaf).map_err(|e| ValidationError::field(&cert_field, e))?;
        if not_after <= now {
            return Err(ValidationError::field(
                &cert_field,
                format!("expired at {}", not_after.to_rfc3339()),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(draft.key_pem.as_bytes()).map_err(|e| {
            ValidationError::field(&key_field, format!("is not a PEM private key: {e}"))
        })?;
        let provider = rustls::crypto::ring::default_provider();
        rustls::sign::CertifiedKey::from_der(chain, key, &provider).map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => {
                ValidationError::field(FIELD, "the private key does not belong to the certificate")
            }
            other => ValidationError::field(&key_field, format!("cannot be used: {other}")),
        })?;
        let cert = Self {
            cert_pem: draft.cert_pem,
            key_pem: draft.key_pem,
        };
        // The sender builds its TLS identity from this; refuse here what it
        // could not use later.
        reqwest::Identity::from_pem(&cert.identity_pem())
            .map_err(|e| ValidationError::field(FIELD, format!("cannot be used: {e}")))?;
        Ok(cert)
    }

    /// Key and chain in one PEM buffer, as `reqwest::Identity::from_pem` takes them.
    pub fn identity_pem(&self) -> Vec<u8> {
        let mut pem = Vec::with_capacity(self.key_pem.len() + self.cert_pem.len() + 1);
        pem.extend_from_slice(self.key_pem.as_bytes());
        if !self.key_pem.ends_with('\n') {
            pem.push(b'\n');
        }
        pem.extend_from_slice(self.cert_pem.as_bytes());
        pem
    }

    /// A digest of the pair, so the sender can keep one client per
    /// certificate and notice when a webhook's certificate changes.
    pub fn fingerprint(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.cert_pem.as_bytes());
        h.update([0]);
        h.update(self.key_pem.as_bytes());
        h.finalize().into()
    }

    /// The form the store keeps (before sealing): a JSON object.
    pub fn to_stored(&self) -> String {
        serde_json::json!({ "cert_pem": self.cert_pem, "key_pem": self.key_pem }).to_string()
    }

    /// The certificate of a stored value (see [`to_stored`](Self::to_stored)).
    /// Not re-checked: it was when stored, and an expired one must still be
    /// readable (the receiver refuses it, which the attempt records).
    pub fn from_stored(stored: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(stored)
    }
}

/// The end of the certificate's validity.
fn not_after(cert: &CertificateDer<'_>) -> Result<DateTime<Utc>, String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref())
        .map_err(|e| format!("is not a valid X.509 certificate: {e}"))?;
    DateTime::from_timestamp(parsed.validity().not_after.timestamp(), 0)
        .ok_or_else(|| "has an unreadable expiry date".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed pair; `expired` ends its validity in 2001.
    fn pair(expired: bool) -> (String, String) {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params =
            rcgen::CertificateParams::new(vec!["client.example".into()]).expect("params");
        if expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let cert = params.self_signed(&key).expect("cert");
        (cert.pem(), key.serialize_pem())
    }

    fn draft(cert_pem: &str, key_pem: &str) -> ClientCertificateDraft {
        ClientCertificateDraft {
            cert_pem: cert_pem.into(),
            key_pem: key_pem.into(),
        }
    }

    #[test]
    fn a_matching_unexpired_pair_is_accepted_and_round_trips() {
        let (cert, key) = pair(false);
        let parsed = ClientCertificate::parse(draft(&cert, &key), Utc::now()).expect("valid");
        let back = ClientCertificate::from_stored(&parsed.to_stored()).expect("stored form");
        assert_eq!(back, parsed);
        assert!(!format!("{parsed:?}").contains("PRIVATE"));
        let pem = String::from_utf8(parsed.identity_pem()).expect("utf-8");
        assert!(pem.contains("PRIVATE KEY") && pem.contains("CERTIFICATE"));
    }

    #[test]
    fn bad_input_is_refused_naming_the_field() {
        let (cert, key) = pair(false);
        let (_, other_key) = pair(false);
        let (expired, expired_key) = pair(true);
        let cases = [
            (draft("not pem", &key), "client_certificate.cert_pem"),
            (draft("", &key), "client_certificate.cert_pem"),
            (draft(&cert, "nope"), "client_certificate.key_pem"),
            (draft(&cert, &other_key), "client_certificate"),
            (draft(&expired, &expired_key), "client_certificate.cert_pem"),
            (
                draft(&"x".repeat(70_000), &key),
                "client_certificate.cert_pem",
            ),
        ];
        for (d, field) in cases {
            let err = ClientCertificate::parse(d, Utc::now()).expect_err("refused");
            assert_eq!(err.field, field, "{}", err.message);
        }
    }
}
