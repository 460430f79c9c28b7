//! Request signing.
//!
//! - [Standard Webhooks](https://www.standardwebhooks.com/): `webhook-signature:
//!   v1,<base64(HMAC(key, "{id}.{timestamp}.{body}"))>` with a shared secret, or
//!   `v1a,<base64(Ed25519(key, "{id}.{timestamp}.{body}"))>` with a `whsk_`
//!   signing key (receivers verify with its public key). Signing the id and time
//!   lets receivers reject replays; several space-separated signatures are sent while
//!   a rotated-out secret is still valid, so receivers can switch secrets at leisure.
//! - The legacy `x-webhook-signature: sha256=<hex(HMAC(key, body))>` (the
//!   GitHub-style body-only HMAC), for receivers written against it; HMAC
//!   secrets only.
//!
//! It signs finished bytes and knows nothing of HTTP or of where a secret is
//! stored.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secret::WebhookSecret;

/// Both HMAC signatures (Standard Webhooks `v1` and the `sha256=` body one).
type HmacSha256 = Hmac<Sha256>;

/// Signs request bodies with a webhook's secrets.
#[derive(Debug, Clone, Copy)]
pub struct Signer<'a> {
    current: &'a WebhookSecret,
    previous: Option<&'a WebhookSecret>,
}

impl<'a> Signer<'a> {
    /// Sign with `current` and, during a rotation grace period, `previous` too.
    pub fn new(current: &'a WebhookSecret, previous: Option<&'a WebhookSecret>) -> Self {
        Self { current, previous }
    }

    /// The `webhook-signature` value for message `msg_id` sent at unix `timestamp`.
    pub fn standard(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        let sign = |secret: &WebhookSecret| {
            if let Some(key) = secret.signing_key() {
                let mut message = format!("{msg_id}.{timestamp}.").into_bytes();
                message.extend_from_slice(body);
                return crate::secret::ed25519_sign(&key, &message);
            }
            let mut mac = hmac(secret);
            mac.update(msg_id.as_bytes());
            mac.update(b".");
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body);
            format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
        };
        let mut out = sign(self.current);
        if let Some(prev) = self.previous {
            out.push(' ');
            out.push_str(&sign(prev));
        }
        out
    }

    /// The `x-webhook-signature` value: `sha256=<hex>` of the body, current
    /// secret; `None` when that is an Ed25519 key (the header is HMAC's).
    pub fn sha256_body(&self, body: &[u8]) -> Option<String> {
        if self.current.scheme() == crate::secret::SignatureScheme::Ed25519 {
            return None;
        }
        let mut mac = hmac(self.current);
        mac.update(body);
        Some(format!(
            "sha256={}",
            hex::encode(mac.finalize().into_bytes())
        ))
    }
}

/// A MAC keyed with the secret's raw bytes (HMAC takes a key of any length).
fn hmac(secret: &WebhookSecret) -> HmacSha256 {
    // HMAC accepts keys of any length; this cannot fail.
    HmacSha256::new_from_slice(&secret.key()).unwrap_or_else(|_| unreachable!())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_webhooks_reference_vector_matches() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = Signer::new(&secret, None).standard(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn an_ed25519_key_signs_v1a_that_its_public_key_verifies() {
        let key = WebhookSecret::generate_for(crate::secret::SignatureScheme::Ed25519);
        let public = key.public_key().unwrap();
        let signer = Signer::new(&key, None);
        let sig = signer.standard("msg_1", 1614265330, b"{}");
        let b64 = sig.strip_prefix("v1a,").unwrap();
        assert!(public.verifies(b"msg_1.1614265330.{}", b64));
        assert!(
            !public.verifies(b"msg_1.1614265330.{ }", b64),
            "a tampered body fails"
        );
        assert_eq!(signer.sha256_body(b"{}"), None, "no legacy header");
    }

    #[test]
    fn a_rotation_sends_both_signatures_and_sha256_uses_the_raw_body() {
        let new = WebhookSecret::parse("new-secret-value").unwrap();
        let old = WebhookSecret::parse("old-secret-value").unwrap();
        let both = Signer::new(&new, Some(&old)).standard("m", 1, b"{}");
        let parts: Vec<_> = both.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], Signer::new(&new, None).standard("m", 1, b"{}"));
        assert_eq!(parts[1], Signer::new(&old, None).standard("m", 1, b"{}"));
        // echo -n '{}' | openssl dgst -sha256 -hmac new-secret-value
        let expected = {
            let mut mac = HmacSha256::new_from_slice(b"new-secret-value").unwrap();
            mac.update(b"{}");
            hex::encode(mac.finalize().into_bytes())
        };
        assert_eq!(
            Signer::new(&new, None).sha256_body(b"{}"),
            Some(format!("sha256={expected}"))
        );
    }
}
