//! Webhook signing secrets and API keys.
//!
//! Two kinds of secret with opposite storage rules: a webhook secret must be kept
//! (we sign with it), while an API key must not be (we only need to recognise it),
//! so only its SHA-256 is stored and it is compared in constant time. Webhook
//! secrets can be encrypted at rest with a master key: [`sealer::Sealer`], as
//! can a webhook's TLS [`ClientCertificate`].

pub mod client_certificate;
mod ed25519;
pub mod sealer;

pub use client_certificate::{ClientCertificate, ClientCertificateDraft};
pub(crate) use ed25519::sign as ed25519_sign;
pub use ed25519::{PublicKey, SignatureScheme, PUBLIC_KEY_PREFIX, SIGNING_KEY_PREFIX};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ValidationError;

/// Prefix of generated webhook secrets (the Standard Webhooks convention).
pub const WEBHOOK_SECRET_PREFIX: &str = "whsec_";
/// Prefix of API keys and admin tokens we generate, so leaked ones are greppable.
pub const API_KEY_PREFIX: &str = "hwk_";
/// Prefix of dashboard session tokens (cookies and portal links).
pub const SESSION_TOKEN_PREFIX: &str = "hws_";
/// How many leading characters of an API key are stored in clear to find its row.
pub const API_KEY_LOOKUP_LEN: usize = 12;

/// A webhook signing secret as the user sees it: `whsec_<base64>` (the HMAC key is
/// the decoded bytes), an Ed25519 signing key `whsk_<base64>` (see
/// [`SignatureScheme::Ed25519`]), or any other string (the HMAC key is its
/// UTF-8 bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(***)")
    }
}

impl WebhookSecret {
    /// A fresh `whsec_` secret of 32 random bytes.
    pub fn generate() -> Self {
        Self(format!(
            "{WEBHOOK_SECRET_PREFIX}{}",
            STANDARD.encode(random_bytes::<32>())
        ))
    }

    /// A fresh secret of `scheme`: a `whsec_` secret, or a `whsk_` key of a
    /// random Ed25519 seed.
    pub fn generate_for(scheme: SignatureScheme) -> Self {
        match scheme {
            SignatureScheme::HmacSha256 => Self::generate(),
            SignatureScheme::Ed25519 => Self(ed25519::generate_signing_key(random_bytes::<32>())),
        }
    }

    /// Accept a user-supplied secret: 8–256 printable characters; a `whsec_` one
    /// must carry valid base64 of 16–64 bytes, a `whsk_` one an Ed25519 key.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let bad = |m: &str| ValidationError::field("secret", m);
        if raw.len() < 8 || raw.len() > 256 {
            return Err(bad("must be between 8 and 256 characters"));
        }
        if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(bad("must not contain whitespace or control characters"));
        }
        let secret = Self(raw.to_owned());
        if let Some(b64) = raw.strip_prefix(WEBHOOK_SECRET_PREFIX) {
            match STANDARD.decode(b64) {
                Ok(key) if (16..=64).contains(&key.len()) => {}
                _ => return Err(bad("a whsec_ secret must be base64 of 16 to 64 bytes")),
            }
        }
        if let Some(b64) = raw.strip_prefix(SIGNING_KEY_PREFIX) {
            ed25519::parse_signing_key(b64).map_err(bad)?;
        }
        Ok(secret)
    }

    /// Wrap a secret read back from the store (validated when it was written).
    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    /// The secret as the user gave or received it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The scheme this secret signs with: Ed25519 for a `whsk_` key, else HMAC.
    pub fn scheme(&self) -> SignatureScheme {
        if self.0.starts_with(SIGNING_KEY_PREFIX) {
            SignatureScheme::Ed25519
        } else {
            SignatureScheme::HmacSha256
        }
    }

    /// The Ed25519 signing key of a `whsk_` secret.
    pub(crate) fn signing_key(&self) -> Option<ed25519_dalek::SigningKey> {
        let b64 = self.0.strip_prefix(SIGNING_KEY_PREFIX)?;
        ed25519::parse_signing_key(b64).ok()
    }

    /// The public key receivers verify an Ed25519 secret's signatures with
    /// (`None` for an HMAC secret: it has none to show).
    pub fn public_key(&self) -> Option<PublicKey> {
        self.signing_key().map(|k| PublicKey::of(&k))
    }

    /// The HMAC key bytes.
    pub fn key(&self) -> Vec<u8> {
        match self.0.strip_prefix(WEBHOOK_SECRET_PREFIX) {
            Some(b64) => STANDARD
                .decode(b64)
                .unwrap_or_else(|_| self.0.as_bytes().to_vec()),
            None => self.0.as_bytes().to_vec(),
        }
    }
}

/// A freshly generated bearer token (API key or admin token), shown to its owner
/// once; only [`TokenHash`] is kept.
pub fn generate_token() -> String {
    format!(
        "{API_KEY_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(random_bytes::<30>())
    )
}

/// A fresh dashboard session token: what a browser holds instead of a key.
pub fn generate_session_token() -> String {
    format!(
        "{SESSION_TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(random_bytes::<30>())
    )
}

/// The leading part of a token stored in clear to find its row without a scan.
pub fn lookup_prefix(token: &str) -> &str {
    token.get(..API_KEY_LOOKUP_LEN).unwrap_or(token)
}

/// SHA-256 of a bearer token, hex-encoded: what the store keeps instead of the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHash(pub String);

impl TokenHash {
    /// Hash a presented token.
    pub fn of(token: &str) -> Self {
        Self(hex::encode(Sha256::digest(token.as_bytes())))
    }

    /// Compare with another hash in constant time, so response timing does not leak
    /// how many leading characters of a guess were right.
    pub fn matches(&self, other: &TokenHash) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

/// `N` bytes from the operating system's CSPRNG.
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_follow_the_standard_webhooks_format() {
        let s = WebhookSecret::generate();
        assert!(s.expose().starts_with("whsec_"));
        assert_eq!(s.key().len(), 32);
        assert_eq!(WebhookSecret::parse(s.expose()).unwrap(), s);
    }

    #[test]
    fn a_raw_secret_is_used_as_utf8_bytes() {
        let s = WebhookSecret::parse("my-shared-secret").unwrap();
        assert_eq!(s.key(), b"my-shared-secret");
        assert!(WebhookSecret::parse("short").is_err());
        assert!(WebhookSecret::parse("whsec_!!!notbase64!!!").is_err());
        assert!(format!("{s:?}").contains("***"));
    }

    #[test]
    fn ed25519_keys_are_checked_and_show_their_public_half() {
        let s = WebhookSecret::generate_for(SignatureScheme::Ed25519);
        assert!(s.expose().starts_with("whsk_"));
        assert_eq!(s.scheme(), SignatureScheme::Ed25519);
        let public = s.public_key().unwrap().encode();
        assert!(public.starts_with("whpk_"));
        assert_eq!(
            PublicKey::parse(&public, "public_key").unwrap().encode(),
            public
        );
        assert_eq!(WebhookSecret::parse(s.expose()).unwrap(), s);
        // Seed and public key (64 bytes) is the same key; a wrong half is not.
        let seed = STANDARD.decode(&s.expose()[5..]).unwrap();
        let pk = STANDARD.decode(&public[5..]).unwrap();
        let long = format!("whsk_{}", STANDARD.encode([seed.clone(), pk].concat()));
        assert_eq!(
            WebhookSecret::parse(&long)
                .unwrap()
                .public_key()
                .unwrap()
                .encode(),
            public
        );
        let wrong = format!("whsk_{}", STANDARD.encode([seed.clone(), seed].concat()));
        assert_eq!(WebhookSecret::parse(&wrong).unwrap_err().field, "secret");
        let short = format!("whsk_{}", STANDARD.encode([1u8; 31]));
        assert!(WebhookSecret::parse(&short).is_err());
        assert!(PublicKey::parse("whpk_AAAA", "public_key").is_err());
        assert_eq!(WebhookSecret::generate().public_key(), None);
    }

    #[test]
    fn tokens_are_recognised_by_hash_only() {
        let t = generate_token();
        assert!(t.starts_with(API_KEY_PREFIX));
        assert!(TokenHash::of(&t).matches(&TokenHash::of(&t)));
        assert!(!TokenHash::of(&t).matches(&TokenHash::of("hwk_other")));
        assert_eq!(lookup_prefix(&t).len(), API_KEY_LOOKUP_LEN);
    }
}
