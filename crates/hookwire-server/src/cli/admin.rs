//! `hookwire migrate`, `hookwire config check` and `hookwire secrets reseal`.

use std::path::Path;

use crate::config::Config;

/// Apply the database migrations and exit.
pub async fn migrate(config_path: Option<&Path>) -> anyhow::Result<()> {
    let config = Config::load(config_path)?;
    hookwire::store::open(&config.database_url).await?;
    println!("migrations applied to {}", redact(&config.database_url));
    Ok(())
}

/// Rewrite every webhook secret under the configured master key (after a key
/// rotation, or after turning encryption on).
pub async fn reseal(config_path: Option<&Path>) -> anyhow::Result<()> {
    let config = Config::load(config_path)?;
    let sealer = config.sealer()?;
    let enabled = sealer.is_enabled();
    let store = hookwire::store::open_sealed(&config.database_url, sealer).await?;
    let n = store.reseal_secrets().await?;
    let how = if enabled {
        "sealed with the current key"
    } else {
        "stored in clear"
    };
    println!("{n} webhook secrets rewritten; all are now {how}");
    Ok(())
}

/// Load and validate the configuration as `serve` would (without opening the
/// database) and print it with secrets masked.
pub async fn check(config_path: Option<&Path>) -> anyhow::Result<()> {
    let mut config = Config::load(config_path)?;
    config.validate().await?;
    config.database_url = redact(&config.database_url);
    if config.admin_token.is_some() {
        config.admin_token = Some("***".into());
    }
    if config.metrics_token.is_some() {
        config.metrics_token = Some("***".into());
    }
    if config.secret_encryption_key.is_some() {
        config.secret_encryption_key = Some("***".into());
    }
    for k in &mut config.secret_encryption_previous_keys {
        *k = "***".into();
    }
    for w in config
        .webhooks
        .iter_mut()
        .chain(config.operational_webhooks.iter_mut())
    {
        if w.secret.is_some() {
            w.secret = Some("***".into());
        }
        if let Some(Some(certificate)) = &mut w.client_certificate {
            certificate.key_pem = "***".into();
        }
    }
    println!("{}", serde_json::to_string_pretty(&config)?);
    eprintln!("config ok");
    Ok(())
}

/// The database URL without its password, for output and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            super::redact("postgres://u:pw@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
