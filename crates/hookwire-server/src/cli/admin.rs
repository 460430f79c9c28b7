//! `hookwire migrate` and `hookwire config check`.

use std::path::Path;

use crate::config::Config;

/// Apply the database migrations and exit.
pub async fn migrate(config_path: Option<&Path>) -> anyhow::Result<()> {
    let config = Config::load(config_path)?;
    hookwire::store::open(&config.database_url).await?;
    println!("migrations applied to {}", redact(&config.database_url));
    Ok(())
}

/// Load and validate the configuration and print it with secrets masked.
pub fn check(config_path: Option<&Path>) -> anyhow::Result<()> {
    let mut config = Config::load(config_path)?;
    config.database_url = redact(&config.database_url);
    if config.admin_token.is_some() {
        config.admin_token = Some("***".into());
    }
    for w in &mut config.webhooks {
        if w.secret.is_some() {
            w.secret = Some("***".into());
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
