//! Ed25519 keys for Standard Webhooks' asymmetric scheme (`v1a` signatures):
//! the signing key a webhook keeps (`whsk_…`, sealed at rest like any
//! secret) and the public key receivers verify with (`whpk_…`), which can be
//! shown to anyone.
//!
//! The arithmetic is `ed25519-dalek`'s; this module owns only the text forms
//! and what makes one valid.
//!
//! It owns the key formats; signing a request is [`crate::signer`]'s and
//! verifying one is [`crate::verify`]'s.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// Prefix of Ed25519 signing keys.
pub const SIGNING_KEY_PREFIX: &str = "whsk_";
/// Prefix of Ed25519 public keys.
pub const PUBLIC_KEY_PREFIX: &str = "whpk_";

/// How a webhook's requests are signed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SignatureScheme {
    /// HMAC-SHA256 with a shared `whsec_` secret (`v1,` signatures, plus the
    /// legacy `x-webhook-signature`). The receiver holds the secret.
    #[default]
    #[serde(rename = "hmac-sha256")]
    HmacSha256,
    /// Ed25519 with a `whsk_` signing key (`v1a,` signatures): the receiver
    /// needs only the `whpk_` public key, which is no secret.
    #[serde(rename = "ed25519")]
    Ed25519,
}

impl SignatureScheme {
    /// The API's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha256 => "hmac-sha256",
            Self::Ed25519 => "ed25519",
        }
    }
}

/// The signing key of a `whsk_` text: base64 of the 32-byte seed, or of the
/// 64 bytes of seed and public key (libsodium's form, whose second half must
/// be the seed's public key).
pub(crate) fn parse_signing_key(b64: &str) -> Result<SigningKey, &'static str> {
    /// The one message every malformed signing key gets.
    const WHY: &str = "a whsk_ key must be base64 of a 32-byte Ed25519 seed, or of 64 bytes: \
                       the seed and its public key";
    let bytes = STANDARD.decode(b64).map_err(|_| WHY)?;
    match bytes.len() {
        32 | 64 => {
            let mut seed = [0u8; 32];
            seed.copy_from_slice(&bytes[..32]);
            let key = SigningKey::from_bytes(&seed);
            if bytes.len() == 64 && bytes[32..] != key.verifying_key().to_bytes() {
                return Err("the second half of this 64-byte whsk_ key is not its public key");
            }
            Ok(key)
        }
        _ => Err(WHY),
    }
}

/// A fresh `whsk_` key (a random seed).
pub(crate) fn generate_signing_key(seed: [u8; 32]) -> String {
    format!("{SIGNING_KEY_PREFIX}{}", STANDARD.encode(seed))
}

/// `v1a,<base64 signature>` of `message`.
pub(crate) fn sign(key: &SigningKey, message: &[u8]) -> String {
    format!("v1a,{}", STANDARD.encode(key.sign(message).to_bytes()))
}

/// An Ed25519 public key: what a receiver verifies `v1a` signatures with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// The public half of a signing key.
    pub(crate) fn of(key: &SigningKey) -> Self {
        Self(key.verifying_key())
    }

    /// Parse `whpk_<base64 of 32 bytes>`; errors name `field`.
    pub fn parse(raw: &str, field: &str) -> Result<Self, ValidationError> {
        let bad = || {
            ValidationError::field(
                field,
                "an Ed25519 public key is whpk_ and the base64 of 32 bytes",
            )
        };
        let b64 = raw.trim().strip_prefix(PUBLIC_KEY_PREFIX).ok_or_else(bad)?;
        let bytes: [u8; 32] = STANDARD
            .decode(b64)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad)?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| bad())
    }

    /// `whpk_<base64>`.
    pub fn encode(&self) -> String {
        format!("{PUBLIC_KEY_PREFIX}{}", STANDARD.encode(self.0.to_bytes()))
    }

    /// Whether `signature` (the text after `v1a,`) signs `message` with the
    /// private half of this key.
    pub fn verifies(&self, message: &[u8], signature: &str) -> bool {
        let Some(bytes) = STANDARD
            .decode(signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
        else {
            return false;
        };
        let signature = ed25519_dalek::Signature::from_bytes(&bytes);
        // Strict: no small-order keys, no non-canonical signatures.
        self.0.verify_strict(message, &signature).is_ok()
    }
}
