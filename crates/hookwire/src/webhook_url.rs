//! [`WebhookUrl`]: a URL that is safe to deliver to under a [`UrlPolicy`].
//!
//! It parses and checks the URL's form; whether the resolved address may be
//! reached is decided at connect time ([`crate::net`]).

use std::net::IpAddr;
use std::time::Duration;

use url::{Host, Url};

use crate::net::{is_internal, UrlPolicy};
use crate::ValidationError;

/// The error code every refused URL carries, whichever rule refused it.
const CODE: &str = "invalid_webhook_url";
/// Longest URL accepted: what browsers and proxies reliably carry.
const MAX_LEN: usize = 2048;
/// How long registration waits for DNS before giving the benefit of the doubt
/// (delivery checks the connected address again, so a slow resolver is not a hole).
const DNS_TIMEOUT: Duration = Duration::from_secs(2);

/// A parsed webhook URL: http(s), with a host, without credentials, and not
/// pointing at an internal address (unless the policy allows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(Url);

impl WebhookUrl {
    /// Check the URL's syntax and, for IP literals, its address. Host names are
    /// only checked by name here (`localhost`, `*.localhost`);
    /// [`WebhookUrl::parse_and_resolve`] also checks where they resolve to.
    pub fn parse(raw: &str, policy: &UrlPolicy) -> Result<Self, ValidationError> {
        let url = Self::parse_without_name_rule(raw, policy)?;
        url.check_name_rule(policy)?;
        Ok(url)
    }

    /// Every rule that needs no name lookup — length, scheme, credentials,
    /// fragment, IP-literal hosts — but not the `localhost` name rule: the
    /// sender parses with this and leaves names to its resolver, which
    /// refuses whatever forbidden address a name resolves to.
    pub(crate) fn parse_without_name_rule(
        raw: &str,
        policy: &UrlPolicy,
    ) -> Result<Self, ValidationError> {
        let bad = |msg: String| ValidationError::with_code(CODE, "url", msg);
        let raw = raw.trim();
        if raw.len() > MAX_LEN {
            return Err(bad(format!("must be at most {MAX_LEN} characters")));
        }
        let url = Url::parse(raw).map_err(|e| bad(format!("is not a valid URL ({e})")))?;
        match url.scheme() {
            "https" => {}
            "http" if policy.allow_http => {}
            "http" => {
                return Err(bad(
                    "must use https (http:// URLs need the server setting allow_http = true)"
                        .into(),
                ))
            }
            other => return Err(bad(format!("scheme {other:?} is not supported; use https"))),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("must not contain credentials (user:password@)".into()));
        }
        if url.fragment().is_some() {
            return Err(bad("must not contain a #fragment".into()));
        }
        let internal = match url.host() {
            None => return Err(bad("must have a host".into())),
            Some(Host::Ipv4(ip)) => is_internal(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => is_internal(IpAddr::V6(ip)),
            Some(Host::Domain(_)) => false,
        };
        if internal && !policy.allow_private_networks {
            return Err(bad(
                "points at a loopback, private or link-local address, which needs the server setting allow_private_networks = true".into(),
            ));
        }
        Ok(Self(url))
    }

    /// Refuse `localhost` and `*.localhost` (RFC 6761: always loopback) even when
    /// DNS cannot tell us so.
    fn check_name_rule(&self, policy: &UrlPolicy) -> Result<(), ValidationError> {
        if let Some(Host::Domain(name)) = self.0.host() {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if !policy.allow_private_networks
                && (name == "localhost" || name.ends_with(".localhost"))
            {
                return Err(ValidationError::with_code(
                    CODE,
                    "url",
                    "points at localhost, which needs the server setting allow_private_networks = true",
                ));
            }
        }
        Ok(())
    }

    /// Parse, then resolve a host name and refuse it if any address it resolves to
    /// is internal. A name that does not resolve is accepted: DNS may be down or
    /// split-horizon, and every delivery checks the address it connects to anyway.
    pub async fn parse_and_resolve(raw: &str, policy: &UrlPolicy) -> Result<Self, ValidationError> {
        Self::parse_and_resolve_with(raw, policy, &crate::net::SystemLookup).await
    }

    /// [`parse_and_resolve`](Self::parse_and_resolve) with a given resolver.
    pub async fn parse_and_resolve_with(
        raw: &str,
        policy: &UrlPolicy,
        resolver: &dyn crate::net::Lookup,
    ) -> Result<Self, ValidationError> {
        let url = Self::parse_without_name_rule(raw, policy)?;
        if policy.allow_private_networks {
            return Ok(url);
        }
        if let Some(Host::Domain(name)) = url.0.host() {
            let port = url.0.port_or_known_default().unwrap_or(443);
            let lookup = resolver.lookup(name, port);
            if let Ok(Ok(addrs)) = tokio::time::timeout(DNS_TIMEOUT, lookup).await {
                for addr in addrs {
                    if is_internal(addr.ip()) {
                        return Err(ValidationError::with_code(
                            CODE,
                            "url",
                            format!("host {name} resolves to {}, an internal address, which needs the server setting allow_private_networks = true", addr.ip()),
                        ));
                    }
                }
            }
        }
        url.check_name_rule(policy)?;
        Ok(url)
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The parsed URL.
    pub fn as_url(&self) -> &Url {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: UrlPolicy = UrlPolicy {
        allow_http: false,
        allow_private_networks: false,
    };

    fn rejected(raw: &str) -> bool {
        WebhookUrl::parse(raw, &STRICT).is_err()
    }

    #[test]
    fn only_https_urls_with_a_public_host_and_no_credentials_are_accepted() {
        assert!(!rejected("https://93.184.216.34/hooks?x=1"));
        assert!(!rejected("https://hooks.example.com/in"));
        for raw in [
            "ftp://example.com/",
            "http://example.com/",
            "https://user:pw@example.com/",
            "https://user@example.com/",
            "https://",
            "https://:443/",
            "not a url",
            "https://127.0.0.1/",
            "https://localhost:8443/",
            "https://api.localhost/",
            "https://10.0.0.5/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://2130706433/",
            "https://0x7f.1/",
            "https://0177.0.0.1/",
            "https://0.0.0.0/",
        ] {
            assert!(rejected(raw), "{raw} must be rejected");
        }
    }

    #[test]
    fn the_policy_can_open_http_and_private_networks() {
        let open = UrlPolicy {
            allow_http: true,
            allow_private_networks: true,
        };
        assert!(WebhookUrl::parse("http://127.0.0.1:9000/hook", &open).is_ok());
        assert_eq!(
            WebhookUrl::parse("ftp://x.com", &open).unwrap_err().code,
            "invalid_webhook_url"
        );
    }

    #[tokio::test]
    async fn a_host_name_that_resolves_to_loopback_is_rejected_after_dns() {
        let err = WebhookUrl::parse_and_resolve("https://localhost/", &STRICT)
            .await
            .unwrap_err();
        assert!(err.message.contains("resolves to"), "{}", err.message);
        assert!(
            WebhookUrl::parse_and_resolve("https://app.localhost./", &STRICT)
                .await
                .is_err()
        );
    }
}
