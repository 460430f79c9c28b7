//! Optional encryption of webhook secrets at rest (AES-256-GCM).
//!
//! Webhook secrets must be stored recoverably (we sign with them), so a copy of
//! the database is a copy of every secret — unless they are sealed with a master
//! key the database never sees. With a [`Sealer`] holding a key, the store writes
//! `enc:v1:<key id>:<base64(nonce ‖ ciphertext)>` and reads either that or, for
//! rows written before encryption was turned on, the plain secret.
//!
//! Rotating the master key: configure the new key as current and the old one
//! among the previous keys (both can read), re-seal every row with the current key
//! (`hookwire secrets reseal`), then drop the old key.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Marks a sealed value.
const PREFIX: &str = "enc:v1:";
/// AES-GCM nonce length.
const NONCE_LEN: usize = 12;

/// A master key could not be used, or a stored value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// A configured key is not base64 of exactly 32 bytes.
    #[error("a secret encryption key must be base64 of 32 random bytes (e.g. `openssl rand -base64 32`)")]
    BadKey,
    /// The value was sealed with a key that is not configured.
    #[error("secret sealed with key {0}, which is not configured (add it to the previous keys)")]
    UnknownKey(String),
    /// The value is damaged or was tampered with.
    #[error("a sealed secret failed authentication (damaged, or sealed with another key)")]
    Damaged,
}

/// Seals and opens webhook secrets. The default has no key and stores plain text.
#[derive(Clone, Default)]
pub struct Sealer {
    /// Seals new values; `None` = encryption off.
    current: Option<(String, Aes256Gcm)>,
    /// Open values sealed with earlier keys (during a rotation).
    previous: Vec<(String, Aes256Gcm)>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("current", &self.current.as_ref().map(|k| &k.0))
            .field(
                "previous",
                &self.previous.iter().map(|k| &k.0).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A configured master key: its short id (the first 4 bytes of its SHA-256,
/// in hex) and the cipher.
fn cipher(key_b64: &str) -> Result<(String, Aes256Gcm), SealError> {
    let bytes = STANDARD
        .decode(key_b64.trim())
        .map_err(|_| SealError::BadKey)?;
    if bytes.len() != 32 {
        return Err(SealError::BadKey);
    }
    // The id names the key in each sealed value without revealing it.
    let id = hex::encode(&Sha256::digest(&bytes)[..4]);
    Ok((id, Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes))))
}

impl Sealer {
    /// A sealer with `current` (base64, 32 bytes) for new values — `None` writes
    /// them in clear — and `previous` keys that can still open old ones.
    pub fn new(current: Option<&str>, previous: &[String]) -> Result<Self, SealError> {
        Ok(Self {
            current: current.map(cipher).transpose()?,
            previous: previous
                .iter()
                .map(|k| cipher(k))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Whether new values are encrypted.
    pub fn is_enabled(&self) -> bool {
        self.current.is_some()
    }

    /// The stored form of `plain`.
    pub fn seal(&self, plain: &str) -> String {
        let Some((id, cipher)) = &self.current else {
            return plain.to_owned();
        };
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        match cipher.encrypt(&nonce, plain.as_bytes()) {
            Ok(ct) => {
                let mut raw = nonce.to_vec();
                raw.extend_from_slice(&ct);
                format!("{PREFIX}{id}:{}", STANDARD.encode(raw))
            }
            // AES-GCM only fails on inputs of ~64 GB; a secret is never that.
            Err(_) => unreachable!("AES-GCM refused a short plaintext"),
        }
    }

    /// The plain secret of a stored value (sealed or, from before encryption was
    /// on, plain).
    pub fn open(&self, stored: &str) -> Result<String, SealError> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let (id, data) = rest.split_once(':').ok_or(SealError::Damaged)?;
        let cipher = self
            .current
            .iter()
            .chain(&self.previous)
            .find(|(kid, _)| kid == id)
            .map(|(_, c)| c)
            .ok_or_else(|| SealError::UnknownKey(id.to_owned()))?;
        let raw = STANDARD.decode(data).map_err(|_| SealError::Damaged)?;
        if raw.len() <= NONCE_LEN {
            return Err(SealError::Damaged);
        }
        let (nonce, ct) = raw.split_at(NONCE_LEN);
        let plain = cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| SealError::Damaged)?;
        String::from_utf8(plain).map_err(|_| SealError::Damaged)
    }

    /// Whether `stored` is already sealed with the current key (or, with
    /// encryption off, plain): re-sealing can skip it.
    pub fn is_current(&self, stored: &str) -> bool {
        match &self.current {
            None => !stored.starts_with(PREFIX),
            Some((id, _)) => stored
                .strip_prefix(PREFIX)
                .and_then(|r| r.split_once(':'))
                .is_some_and(|(kid, _)| kid == id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    const K2: &str = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

    #[test]
    fn a_sealed_secret_opens_to_itself_and_hides_it() {
        let s = Sealer::new(Some(K1), &[]).unwrap();
        let stored = s.seal("whsec_abc");
        assert!(stored.starts_with("enc:v1:") && !stored.contains("abc"));
        assert_ne!(stored, s.seal("whsec_abc"), "fresh nonce each time");
        assert_eq!(s.open(&stored).unwrap(), "whsec_abc");
        assert_eq!(s.open("whsec_plain").unwrap(), "whsec_plain");
    }

    #[test]
    fn rotation_reads_old_values_and_an_unknown_key_is_named() {
        let old = Sealer::new(Some(K1), &[]).unwrap();
        let stored = old.seal("whsec_abc");
        let new_only = Sealer::new(Some(K2), &[]).unwrap();
        assert!(matches!(
            new_only.open(&stored),
            Err(SealError::UnknownKey(_))
        ));
        let rotating = Sealer::new(Some(K2), &[K1.to_owned()]).unwrap();
        assert_eq!(rotating.open(&stored).unwrap(), "whsec_abc");
        assert!(!rotating.is_current(&stored));
        assert!(rotating.is_current(&rotating.seal("x")));
    }

    #[test]
    fn tampering_and_bad_keys_are_refused() {
        let s = Sealer::new(Some(K1), &[]).unwrap();
        let mut stored = s.seal("whsec_abc");
        let last = stored.pop().unwrap();
        stored.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(s.open(&stored), Err(SealError::Damaged));
        assert_eq!(
            Sealer::new(Some("c2hvcnQ="), &[]).unwrap_err(),
            SealError::BadKey
        );
        assert_eq!(
            Sealer::new(Some("not base64!"), &[]).unwrap_err(),
            SealError::BadKey
        );
    }
}
