//! The SSRF guard on the address a delivery actually connects to: a resolver
//! that drops forbidden addresses (so a DNS answer that changes after the
//! URL was checked cannot reach an internal host), the same rule for a URL
//! that names an IP, and the check by name when an egress proxy connects.
//!
//! The rules themselves are [`crate::net`]'s; this module only applies them
//! where the connection is made.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::{ErrorKind, HttpSender};
use crate::net::{Lookup, UrlPolicy};

impl HttpSender {
    /// Through a proxy, the URL rules are applied to `name` here: every
    /// address it resolves to must be allowed, since which one the proxy
    /// picks is not ours to choose. The proxy resolves the name again when it
    /// connects; a DNS answer that changes in between is the proxy's to
    /// refuse (README, "Egress proxy").
    pub(super) async fn judge_by_name(
        &self,
        lookup: &dyn Lookup,
        name: &str,
    ) -> Result<(), (ErrorKind, String)> {
        let addrs = lookup
            .lookup(name, 0)
            .await
            .map_err(|e| (ErrorKind::Connect, format!("could not resolve {name}: {e}")))?;
        if addrs.is_empty() {
            return Err((ErrorKind::Connect, format!("{name} has no addresses")));
        }
        match addrs.iter().find(|a| !self.policy.permits(a.ip())) {
            Some(a) => Err((
                ErrorKind::ForbiddenAddress,
                format!(
                    "host {name} resolves to {}, an internal address, which is not allowed",
                    a.ip()
                ),
            )),
            None => Ok(()),
        }
    }
}

/// The URL's host if it is an IP address (in any spelling the URL standard
/// normalises, e.g. `2130706433` or `0x7f.1`).
pub(super) fn host_ip(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// Resolves host names and drops addresses the policy forbids, so the connection
/// can only go to an allowed address whatever DNS answers at delivery time.
pub(super) struct GuardedResolver {
    /// The addresses allowed.
    pub(super) policy: UrlPolicy,
    /// The name lookup (the system's, or a test's).
    pub(super) lookup: Arc<dyn Lookup>,
    /// The egress proxy's host name, resolved without the policy: the
    /// operator chose it, and it is usually on a private network.
    pub(super) proxy_host: Option<String>,
}

/// Why the guarded resolver refused a host: every address it resolves to is
/// internal.
#[derive(Debug, thiserror::Error)]
#[error("host {0} resolves only to internal addresses, which are not allowed")]
pub(super) struct Forbidden(String);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let policy = match &self.proxy_host {
            Some(proxy) if *proxy == host => UrlPolicy {
                allow_private_networks: true,
                ..self.policy
            },
            _ => self.policy,
        };
        let resolving = self.lookup.lookup(&host, 0);
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = resolving
                .await?
                .into_iter()
                .filter(|a| policy.permits(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(Box::new(Forbidden(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}
