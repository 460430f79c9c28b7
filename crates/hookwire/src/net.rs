//! Which network addresses a webhook may reach.
//!
//! A webhook service makes requests to URLs its users choose, which makes it a
//! classic server-side request forgery (SSRF) vector: a user registers
//! `http://169.254.169.254/…` and reads the cloud metadata service through the
//! delivery log. The rule lives here, in one function, because it is applied twice:
//! at registration (to give a clear error early) and at delivery, against the
//! address actually connected to (so a DNS answer that changes in between cannot
//! slip through).
//!
//! It owns the address rules and nothing else: connecting is
//! [`crate::delivery::http`]'s, which asks here about the address it actually
//! connected to.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;

/// The addresses a host name resolves to, as a boxed future.
pub type Resolving = Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>>;

/// Turns host names into addresses. The system resolver in production; tests
/// substitute one whose answers they control (e.g. a name that resolves to a
/// public address at registration and to loopback at delivery).
pub trait Lookup: Send + Sync + 'static {
    /// Resolve `host` (port `port` is copied into the answers).
    fn lookup(&self, host: &str, port: u16) -> Resolving;
}

/// The operating system's resolver (`getaddrinfo`, via tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: &str, port: u16) -> Resolving {
        let host = host.to_owned();
        Box::pin(async move { Ok(tokio::net::lookup_host((host, port)).await?.collect()) })
    }
}

/// What the operator allows webhook URLs to point at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Allow `http://` URLs (plain text). Off by default: signatures prove origin,
    /// not confidentiality.
    pub allow_http: bool,
    /// Allow loopback, private, link-local and other internal addresses. For local
    /// development and tests only.
    pub allow_private_networks: bool,
}

impl UrlPolicy {
    /// Whether a connection to `ip` is allowed under this policy.
    pub fn permits(&self, ip: IpAddr) -> bool {
        self.allow_private_networks || !is_internal(ip)
    }
}

/// Whether `ip` is an address a webhook must not reach unless private networks are
/// allowed: loopback, private (RFC 1918, ULA), link-local (incl. cloud metadata),
/// CGNAT, multicast, broadcast, unspecified and documentation ranges. IPv4-mapped
/// and IPv4-compatible IPv6 addresses are judged by their IPv4 part.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_internal_v4(v4),
            None => is_internal_v6(v6),
        },
    }
}

/// Every IPv4 range that is not the public internet: a request there could
/// only reach something on the operator's side (each range named inline).
fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()            // 0.0.0.0
        || a == 0                  // 0/8 "this network" (Linux routes 0.x to localhost)
        || ip.is_loopback()        // 127/8
        || ip.is_private()         // 10/8, 172.16/12, 192.168/16
        || ip.is_link_local()      // 169.254/16, incl. 169.254.169.254 metadata
        || (a == 100 && (b & 0xc0) == 64) // 100.64/10 CGNAT
        || (a == 192 && b == 0 && c == 0) // 192.0.0/24 IETF protocol assignments
        || (a == 198 && (b & 0xfe) == 18) // 198.18/15 benchmarking
        || ip.is_multicast()       // 224/4
        || a >= 240                // 240/4 reserved, 255.255.255.255 broadcast
        || ip.is_documentation()
}

/// The IPv6 counterpart; an address that embeds an IPv4 one (NAT64, the old
/// IPv4-compatible form) is refused or judged by the address it embeds.
fn is_internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_unspecified()
        || ip.is_loopback()
        || (first & 0xfe00) == 0xfc00 // fc00::/7 unique local (incl. fd00:ec2::254)
        || (first & 0xffc0) == 0xfe80 // fe80::/10 link-local
        || (first & 0xff00) == 0xff00 // ff00::/8 multicast
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (first == 0x0064 && ip.segments()[1] == 0xff9b) // 64:ff9b::/96 NAT64
        // ::a.b.c.d (deprecated IPv4-compatible) — judge the embedded IPv4.
        || (ip.segments()[..6].iter().all(|s| *s == 0) && is_internal_v4(ipv4_tail(ip)))
}

/// The IPv4 address in an IPv6 address's last 32 bits.
fn ipv4_tail(ip: Ipv6Addr) -> Ipv4Addr {
    let o = ip.octets();
    Ipv4Addr::new(o[12], o[13], o[14], o[15])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn internal(s: &str) -> bool {
        is_internal(s.parse().unwrap())
    }

    #[test]
    fn internal_ranges_are_refused_and_public_ones_allowed() {
        for ip in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd00:ec2::254",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
        ] {
            assert!(internal(ip), "{ip} must be internal");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
        ] {
            assert!(!internal(ip), "{ip} must be public");
        }
    }

    #[test]
    fn the_policy_can_allow_private_networks() {
        let open = UrlPolicy {
            allow_http: true,
            allow_private_networks: true,
        };
        assert!(open.permits("127.0.0.1".parse().unwrap()));
        assert!(!UrlPolicy::default().permits("127.0.0.1".parse().unwrap()));
    }
}
