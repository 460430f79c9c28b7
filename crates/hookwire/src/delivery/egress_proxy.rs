//! The egress proxy: an operator's forward proxy that every delivery goes
//! through, so receivers can allow-list the proxy's fixed addresses instead
//! of every node's.
//!
//! Owns the proxy's address and its one accepted form, `http://host:port`.
//! What goes through it is the sender's business (`http.rs`): `https://`
//! deliveries are tunnelled with `CONNECT` (the TLS session is end to end,
//! the proxy sees only the target's host and port); `http://` ones are sent
//! to the proxy in absolute form.
//!
//! It owns the proxy's settings and the one client built for them; the SSRF
//! guard on the receiver's address stays in [`crate::net`] and applies behind
//! the proxy too.

use std::fmt;

use crate::ValidationError;

/// Where deliveries leave from: a forward proxy at `http://host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressProxy {
    host: String,
    port: u16,
}

impl EgressProxy {
    /// The config key this value comes from, named in its errors.
    pub const KEY: &'static str = "egress_proxy";

    /// Parse `http://host:port` (a trailing `/` is allowed): a host name or IP
    /// address (IPv6 in brackets) and a port from 1 to 65535. Anything else —
    /// another scheme, credentials, a path, a query — is refused naming
    /// `egress_proxy`: a proxy URL that quietly dropped a part would send
    /// deliveries somewhere the operator did not mean.
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let bad = |why: &str| {
            ValidationError::field(
                Self::KEY,
                format!("{why}: write it as http://host:port (got {value:?})"),
            )
        };
        let authority = value
            .strip_prefix("http://")
            .ok_or_else(|| bad("must start with http://"))?;
        let authority = authority.strip_suffix('/').unwrap_or(authority);
        if authority.contains(['/', '?', '#', '@']) || authority.is_empty() {
            return Err(bad("only a host and a port are allowed"));
        }
        let (host, port) = authority
            .rsplit_once(':')
            .ok_or_else(|| bad("the port is missing"))?;
        let port = port
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| bad("the port must be a number from 1 to 65535"))?;
        let host = match url::Host::parse(host) {
            Ok(url::Host::Domain(name)) if !name.contains(':') => name,
            Ok(url::Host::Ipv4(ip)) => ip.to_string(),
            Ok(url::Host::Ipv6(ip)) => format!("[{ip}]"),
            _ => return Err(bad("the host is not a valid name or address")),
        };
        Ok(Self { host, port })
    }

    /// The proxy's URL, `http://host:port`.
    pub fn url(&self) -> String {
        self.to_string()
    }

    /// The proxy's host as the resolver is asked for it: a name, or `None`
    /// for an address (which is connected to without a lookup).
    pub(crate) fn host_name(&self) -> Option<&str> {
        let is_address =
            self.host.starts_with('[') || self.host.parse::<std::net::Ipv4Addr>().is_ok();
        (!is_address).then_some(self.host.as_str())
    }
}

impl fmt::Display for EgressProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}:{}", self.host, self.port)
    }
}

impl std::str::FromStr for EgressProxy {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_host_port_is_accepted() {
        for (good, url) in [
            ("http://proxy.internal:3128", "http://proxy.internal:3128"),
            ("http://10.0.0.5:8080/", "http://10.0.0.5:8080"),
            ("http://[::1]:3128", "http://[::1]:3128"),
            ("http://Proxy.Example:1", "http://proxy.example:1"),
        ] {
            let proxy = EgressProxy::parse(good).unwrap_or_else(|e| panic!("{good}: {e:?}"));
            assert_eq!(proxy.url(), url);
        }
        assert_eq!(
            EgressProxy::parse("http://proxy.internal:3128")
                .unwrap()
                .host_name(),
            Some("proxy.internal")
        );
        assert_eq!(
            EgressProxy::parse("http://[::1]:3128").unwrap().host_name(),
            None
        );
        assert_eq!(
            EgressProxy::parse("http://10.0.0.5:80")
                .unwrap()
                .host_name(),
            None
        );
        for bad in [
            "https://proxy:3128",
            "socks5://proxy:1080",
            "proxy:3128",
            "http://proxy",
            "http://proxy:",
            "http://proxy:0",
            "http://proxy:99999",
            "http://user:pw@proxy:3128",
            "http://proxy:3128/path",
            "http://proxy:3128?x=1",
            "http://:3128",
            "http://",
            "http://pro xy:3128",
        ] {
            let err = EgressProxy::parse(bad).expect_err(bad);
            assert_eq!(err.field, "egress_proxy", "{bad}");
            assert!(
                err.message.contains("http://host:port"),
                "{bad}: {}",
                err.message
            );
        }
    }
}
