//! The admin token: configured, or generated once per database.
//!
//! When `admin_token` is not configured, the first node to start on a database
//! generates one, stores only its SHA-256 in `settings`, and prints it once. Every
//! later start (of any node) reads the hash, so all nodes accept the same token.

use hookwire::secret::{generate_token, TokenHash};
use hookwire::store::{self, DynStore};

const SETTING: &str = "admin_token_sha256";

/// The hash to check admin requests against, and the token itself if this call
/// generated it (the caller prints it once).
pub async fn ensure(
    store: &DynStore,
    configured: Option<&str>,
) -> Result<(TokenHash, Option<String>), store::Error> {
    if let Some(token) = configured {
        return Ok((TokenHash::of(token), None));
    }
    if let Some(hash) = store.setting(SETTING).await? {
        return Ok((TokenHash(hash), None));
    }
    let token = generate_token();
    let hash = TokenHash::of(&token);
    if store.insert_setting_if_absent(SETTING, &hash.0).await? {
        return Ok((hash, Some(token)));
    }
    // Another node won the race; use its token.
    let hash = store
        .setting(SETTING)
        .await?
        .ok_or_else(|| store::Error::Corrupt("admin token setting vanished".into()))?;
    Ok((TokenHash(hash), None))
}
