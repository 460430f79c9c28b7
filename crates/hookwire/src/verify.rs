//! Checking a delivery's signatures, as a receiver does.
//!
//! Used by `hookwire listen`, `hookwire verify` and the demo; it is the receiving
//! side of [`crate::signer`], and rejects with a reason a person can act on.
//!
//! It never sends or stores anything; it checks bytes and headers it is handed.

use chrono::{DateTime, Utc};
use subtle::ConstantTimeEq;

use crate::secret::{PublicKey, WebhookSecret};
use crate::signer::Signer;

/// How far a `webhook-timestamp` may be from now (the Standard Webhooks default):
/// older messages are treated as replays.
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

/// Why a delivery does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A required header is absent.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not unix seconds.
    #[error("webhook-timestamp {0:?} is not a unix timestamp")]
    BadTimestamp(String),
    /// The timestamp is outside the tolerance (a replay, or a skewed clock).
    #[error(
        "webhook-timestamp is {0} s away from now, more than the {TOLERANCE_SECONDS} s tolerance"
    )]
    TimestampOutOfTolerance(i64),
    /// No `v1,` (or, for an Ed25519 key, `v1a,`) signature matches the body
    /// under this key.
    #[error("no webhook-signature matches this body and key")]
    BadSignature,
    /// The `x-webhook-signature: sha256=…` header does not match.
    #[error("x-webhook-signature does not match this body and secret")]
    BadSha256Signature,
}

/// What a verified delivery said about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// `webhook-id`: the event id, the same on every retry.
    pub msg_id: String,
    /// `webhook-timestamp`.
    pub timestamp: i64,
    /// Whether the legacy `x-webhook-signature` was present (and matched).
    pub sha256_checked: bool,
}

/// What a receiver checks `webhook-signature` with.
#[derive(Debug, Clone)]
pub enum ReceiverKey {
    /// The webhook's secret: an HMAC secret checks `v1,` signatures (and
    /// `x-webhook-signature` when present); an Ed25519 `whsk_` key checks
    /// `v1a,` ones with its public half.
    Secret(WebhookSecret),
    /// An Ed25519 public key (`whpk_`): checks `v1a,` signatures, all a
    /// receiver of an Ed25519 webhook needs to hold.
    Public(PublicKey),
}

impl ReceiverKey {
    /// From a receiver's settings: a secret, or a `whpk_` public key (errors
    /// name `public_key`); `None` when neither is given.
    pub fn from_settings(
        secret: Option<&str>,
        public_key: Option<&str>,
    ) -> Result<Option<Self>, crate::ValidationError> {
        match (secret, public_key) {
            (Some(_), Some(_)) => Err(crate::ValidationError::field(
                "public_key",
                "give a secret or a public key, not both",
            )),
            (Some(s), None) => Ok(Some(Self::Secret(WebhookSecret::parse(s)?))),
            (None, Some(p)) => Ok(Some(Self::Public(PublicKey::parse(p, "public_key")?))),
            (None, None) => Ok(None),
        }
    }
}

/// Verify a delivery's headers (looked up case-insensitively through `header`)
/// and raw body against `secret` at time `now`.
pub fn verify(
    secret: &WebhookSecret,
    header: impl Fn(&str) -> Option<String>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Verified, VerifyError> {
    verify_with(&ReceiverKey::Secret(secret.clone()), header, body, now)
}

/// [`verify`] with a secret or an Ed25519 public key.
pub fn verify_with(
    key: &ReceiverKey,
    header: impl Fn(&str) -> Option<String>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Verified, VerifyError> {
    let msg_id = header("webhook-id").ok_or(VerifyError::MissingHeader("webhook-id"))?;
    let ts_raw =
        header("webhook-timestamp").ok_or(VerifyError::MissingHeader("webhook-timestamp"))?;
    let sigs =
        header("webhook-signature").ok_or(VerifyError::MissingHeader("webhook-signature"))?;
    let timestamp: i64 = ts_raw
        .trim()
        .parse()
        .map_err(|_| VerifyError::BadTimestamp(ts_raw.clone()))?;
    // abs_diff: a hostile timestamp like i64::MIN must not overflow.
    let skew = now.timestamp().abs_diff(timestamp);
    if skew > TOLERANCE_SECONDS.unsigned_abs() {
        return Err(VerifyError::TimestampOutOfTolerance(
            i64::try_from(skew).unwrap_or(i64::MAX),
        ));
    }
    let public = match key {
        ReceiverKey::Public(public) => Some(public.clone()),
        ReceiverKey::Secret(secret) => secret.public_key(),
    };
    let matches = match (&public, key) {
        (Some(public), _) => {
            let mut message = format!("{msg_id}.{timestamp}.").into_bytes();
            message.extend_from_slice(body);
            sigs.split_whitespace()
                .filter_map(|s| s.strip_prefix("v1a,"))
                .any(|b64| public.verifies(&message, b64))
        }
        (None, ReceiverKey::Secret(secret)) => {
            let expected = Signer::new(secret, None).standard(&msg_id, timestamp, body);
            sigs.split_whitespace()
                .any(|s| bool::from(s.as_bytes().ct_eq(expected.as_bytes())))
        }
        (None, ReceiverKey::Public(_)) => false,
    };
    if !matches {
        return Err(VerifyError::BadSignature);
    }
    let hmac_secret = match key {
        ReceiverKey::Secret(secret) if public.is_none() => Some(secret),
        _ => None,
    };
    let sha256_checked = match (header("x-webhook-signature"), hmac_secret) {
        (Some(given), Some(secret)) => {
            let expected = Signer::new(secret, None)
                .sha256_body(body)
                .unwrap_or_default();
            if !bool::from(given.trim().as_bytes().ct_eq(expected.as_bytes())) {
                return Err(VerifyError::BadSha256Signature);
            }
            true
        }
        _ => false,
    };
    Ok(Verified {
        msg_id,
        timestamp,
        sha256_checked,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::clock;

    fn headers(secret: &WebhookSecret, ts: i64, body: &[u8]) -> HashMap<&'static str, String> {
        let s = Signer::new(secret, None);
        HashMap::from([
            ("webhook-id", "evt_1".to_owned()),
            ("webhook-timestamp", ts.to_string()),
            (
                "webhook-signature",
                format!("v1,bm90IGl0 {}", s.standard("evt_1", ts, body)),
            ),
            (
                "x-webhook-signature",
                s.sha256_body(body).unwrap_or_default(),
            ),
        ])
    }

    #[test]
    fn a_signed_delivery_verifies_and_tampering_is_named() {
        let secret = WebhookSecret::generate();
        let now = clock::now();
        let body = br#"{"a":1}"#;
        let h = headers(&secret, now.timestamp(), body);
        fn get(h: &HashMap<&'static str, String>) -> impl Fn(&str) -> Option<String> {
            let h = h.clone();
            move |k: &str| h.get(k).cloned()
        }
        let ok = verify(&secret, get(&h), body, now).unwrap();
        assert!(ok.sha256_checked);
        assert_eq!(
            verify(&secret, get(&h), b"{}", now),
            Err(VerifyError::BadSignature)
        );
        let other = WebhookSecret::generate();
        assert_eq!(
            verify(&other, get(&h), body, now),
            Err(VerifyError::BadSignature)
        );
        let old = headers(&secret, now.timestamp() - 600, body);
        assert!(matches!(
            verify(&secret, get(&old), body, now),
            Err(VerifyError::TimestampOutOfTolerance(600))
        ));
        let mut missing = h.clone();
        missing.remove("webhook-id");
        assert_eq!(
            verify(&secret, get(&missing), body, now),
            Err(VerifyError::MissingHeader("webhook-id"))
        );
        let mut bad_sha = h.clone();
        bad_sha.insert("x-webhook-signature", "sha256=00".into());
        assert_eq!(
            verify(&secret, get(&bad_sha), body, now),
            Err(VerifyError::BadSha256Signature)
        );
    }

    #[test]
    fn an_ed25519_delivery_verifies_with_the_public_key_alone() {
        use crate::secret::SignatureScheme;
        let key = WebhookSecret::generate_for(SignatureScheme::Ed25519);
        let public = key.public_key().unwrap();
        let now = clock::now();
        let body = br#"{"a":1}"#;
        let ts = now.timestamp();
        let sig = Signer::new(&key, None).standard("evt_1", ts, body);
        let h = HashMap::from([
            ("webhook-id", "evt_1".to_owned()),
            ("webhook-timestamp", ts.to_string()),
            ("webhook-signature", format!("v1,bm90IGl0 {sig}")),
        ]);
        let get = |k: &str| h.get(k).cloned();
        let ok = verify_with(&ReceiverKey::Public(public.clone()), get, body, now).unwrap();
        assert!(!ok.sha256_checked);
        assert!(
            verify(&key, get, body, now).is_ok(),
            "the key's own public half"
        );
        assert_eq!(
            verify_with(&ReceiverKey::Public(public.clone()), get, b"{}", now),
            Err(VerifyError::BadSignature),
            "a tampered body"
        );
        let other = WebhookSecret::generate_for(SignatureScheme::Ed25519);
        assert_eq!(
            verify_with(
                &ReceiverKey::Public(other.public_key().unwrap()),
                get,
                body,
                now
            ),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn an_extreme_timestamp_is_out_of_tolerance_not_a_panic() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        for ts in [i64::MIN, i64::MAX] {
            let h = headers(&secret, ts, b"{}");
            let got = verify(&secret, |n| h.get(n).cloned(), b"{}", clock::now());
            assert!(matches!(got, Err(VerifyError::TimestampOutOfTolerance(_))));
        }
    }
}
