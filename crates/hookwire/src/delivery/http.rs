//! The HTTP side of a delivery attempt.
//!
//! It owns connections, TLS and the request/response exchange; it does not sign
//! (the attempt hands it finished headers) and does not decide retries or
//! record anything.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, RETRY_AFTER};

mod failure;
mod guard;

use failure::{classify, error_chain};
use guard::{host_ip, GuardedResolver};

use super::{EgressProxy, ReceiverRoots};
use crate::net::{Lookup, SystemLookup, UrlPolicy};
use crate::secret::ClientCertificate;
use crate::webhook_url::WebhookUrl;

/// The `user-agent` of every delivery (SPEC: `hookwire/<version>`).
pub const USER_AGENT: &str = concat!("hookwire/", env!("CARGO_PKG_VERSION"));

/// How much of a response body is kept (and read at all).
pub const RESPONSE_EXCERPT_BYTES: usize = 4096;
/// Longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Why a request got no HTTP response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No complete response within the webhook's timeout.
    Timeout,
    /// Connection refused, reset, or TLS failure.
    Connect,
    /// The host resolved only to addresses the URL policy forbids.
    ForbiddenAddress,
    /// The URL is no longer acceptable under the policy.
    InvalidUrl,
    /// Anything else (malformed response, I/O error mid-response).
    Request,
}

impl ErrorKind {
    /// The name stored on the attempt.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Connect => "connect",
            Self::ForbiddenAddress => "forbidden_address",
            Self::InvalidUrl => "invalid_url",
            Self::Request => "request",
        }
    }
}

/// What came back from one POST.
#[derive(Debug, Clone, Default)]
pub struct Response {
    /// Status code, if a response arrived.
    pub status: Option<u16>,
    /// Transport failure, if no response arrived.
    pub error: Option<(ErrorKind, String)>,
    /// Response headers (lower-case names).
    pub headers: BTreeMap<String, String>,
    /// The first [`RESPONSE_EXCERPT_BYTES`] of the body.
    pub body: Option<String>,
    /// Request start to response end.
    pub duration: Duration,
    /// A `Retry-After` the receiver sent with 429 or 503.
    pub retry_after: Option<Duration>,
    /// The `host` header the request carried (the URL's host, with its port
    /// unless it is the scheme's default, as the client writes it); `None`
    /// when the URL was refused before anything was sent.
    pub host: Option<String>,
}

/// Most clients kept for client certificates; past it the cache starts
/// over (a client is rebuilt on its next use, in about a millisecond).
const MAX_CERTIFIED_CLIENTS: usize = 1024;

/// One shared, keep-alive HTTP client for every delivery, and one per TLS
/// client certificate in use (reqwest ties an identity to a client). Cheap
/// to clone.
#[derive(Clone)]
pub struct HttpSender {
    /// The shared client of webhooks without a client certificate.
    client: reqwest::Client,
    /// How to build a client like it, with a certificate.
    recipe: Arc<ClientRecipe>,
    /// Clients presenting a certificate, by [`ClientCertificate::fingerprint`].
    certified: Arc<Mutex<HashMap<[u8; 32], reqwest::Client>>>,
    /// Which addresses a receiver may have (the SSRF rules).
    policy: UrlPolicy,
    /// With an egress proxy, the proxy connects to targets, not this client:
    /// their names are resolved here first, to judge every address.
    via_proxy: Option<Arc<dyn Lookup>>,
}

impl std::fmt::Debug for HttpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSender")
            .field("policy", &self.policy)
            .field("via_proxy", &self.via_proxy.is_some())
            .field("receiver_roots", &self.recipe.roots.len())
            .finish()
    }
}

/// How every client of one sender is built, so that the per-certificate
/// clients behave exactly like the shared one.
struct ClientRecipe {
    /// Resolves names and refuses internal addresses.
    resolver: Arc<GuardedResolver>,
    /// The egress proxy, if any.
    proxy: Option<reqwest::Proxy>,
    /// CA certificates trusted besides the public web roots.
    roots: Vec<reqwest::Certificate>,
}

impl ClientRecipe {
    /// A client with this recipe, presenting `identity` when a receiver asks
    /// for a client certificate.
    fn build(&self, identity: Option<reqwest::Identity>) -> reqwest::Result<reqwest::Client> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(self.resolver.clone())
            .user_agent(USER_AGENT)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10));
        builder = match &self.proxy {
            Some(proxy) => builder.proxy(proxy.clone()),
            None => builder.no_proxy(),
        };
        for root in &self.roots {
            builder = builder.add_root_certificate(root.clone());
        }
        if let Some(identity) = identity {
            builder = builder.identity(identity);
        }
        builder.build()
    }
}

impl HttpSender {
    /// A client that never follows redirects (a 3xx is a failed attempt: following
    /// it could lead anywhere) and resolves names through the SSRF guard.
    pub fn new(policy: UrlPolicy) -> Self {
        Self::with_lookup(policy, Arc::new(SystemLookup))
    }

    /// [`new`](Self::new) with a given resolver (tests use one they control).
    pub fn with_lookup(policy: UrlPolicy, lookup: Arc<dyn Lookup>) -> Self {
        Self::with_proxy(policy, lookup, None)
    }

    /// [`with_lookup`](Self::with_lookup), every request going through
    /// `proxy` if given (see [`EgressProxy`]). The proxy itself is the
    /// operator's choice: its address is not judged by `policy`.
    pub fn with_proxy(
        policy: UrlPolicy,
        lookup: Arc<dyn Lookup>,
        proxy: Option<&EgressProxy>,
    ) -> Self {
        let resolver = GuardedResolver {
            policy,
            lookup: lookup.clone(),
            proxy_host: proxy.and_then(|p| p.host_name().map(str::to_owned)),
        };
        let recipe = ClientRecipe {
            resolver: Arc::new(resolver),
            proxy: proxy.map(|proxy| match reqwest::Proxy::all(proxy.url()) {
                Ok(p) => p,
                Err(e) => panic!("the egress proxy {proxy} cannot be used: {e}"),
            }),
            roots: Vec::new(),
        };
        Self::from_recipe(recipe, policy, proxy.map(|_| lookup))
    }

    /// This sender also trusting `roots` for receivers' certificates (for
    /// receivers behind a private CA).
    pub fn trusting(self, roots: &ReceiverRoots) -> Self {
        let recipe = ClientRecipe {
            resolver: self.recipe.resolver.clone(),
            proxy: self.recipe.proxy.clone(),
            roots: roots.certificates().to_vec(),
        };
        Self::from_recipe(recipe, self.policy, self.via_proxy)
    }

    /// The sender around `recipe`'s shared client (built now: a recipe that
    /// cannot build is a programming error, found at start).
    fn from_recipe(
        recipe: ClientRecipe,
        policy: UrlPolicy,
        via_proxy: Option<Arc<dyn Lookup>>,
    ) -> Self {
        let client = recipe
            .build(None)
            .unwrap_or_else(|e| panic!("the HTTP client cannot be built: {e}"));
        Self {
            client,
            recipe: Arc::new(recipe),
            certified: Arc::default(),
            policy,
            via_proxy,
        }
    }

    /// The client for a request: the shared one, or the one presenting
    /// `certificate`, built on first use.
    fn client_for(
        &self,
        certificate: Option<&ClientCertificate>,
    ) -> Result<reqwest::Client, String> {
        let Some(certificate) = certificate else {
            return Ok(self.client.clone());
        };
        let key = certificate.fingerprint();
        let mut certified = self
            .certified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(client) = certified.get(&key) {
            return Ok(client.clone());
        }
        let identity = reqwest::Identity::from_pem(&certificate.identity_pem())
            .map_err(|e| format!("the client certificate cannot be used: {}", error_chain(&e)))?;
        let client = self
            .recipe
            .build(Some(identity))
            .map_err(|e| format!("the client certificate cannot be used: {}", error_chain(&e)))?;
        if certified.len() >= MAX_CERTIFIED_CLIENTS {
            certified.clear();
        }
        certified.insert(key, client.clone());
        Ok(client)
    }

    /// POST `body` to `url` with `headers`, giving up after `timeout`,
    /// presenting `client_certificate` if the receiver asks for one.
    pub async fn post(
        &self,
        url: &str,
        headers: HeaderMap,
        body: Vec<u8>,
        timeout: Duration,
        client_certificate: Option<&ClientCertificate>,
    ) -> Response {
        let started = Instant::now();
        // IP literals bypass the resolver: judge them (and the scheme) here. Host
        // names are judged by the resolver, on the addresses actually connected to.
        // The URL is parsed once; only a refused one is parsed again, to tell an
        // internal address from a malformed URL.
        let checked = WebhookUrl::parse_without_name_rule(url, &self.policy);
        let ip = match &checked {
            Ok(u) => host_ip(u.as_url()),
            Err(_) => url::Url::parse(url).ok().as_ref().and_then(host_ip),
        };
        if let Some(ip) = ip.filter(|ip| !self.policy.permits(*ip)) {
            return Response {
                error: Some((
                    ErrorKind::ForbiddenAddress,
                    format!("{ip} is an internal address, which is not allowed"),
                )),
                duration: started.elapsed(),
                ..Default::default()
            };
        }
        let url = match checked {
            Ok(u) => u.as_url().clone(),
            Err(e) => {
                return Response {
                    error: Some((ErrorKind::InvalidUrl, e.message)),
                    duration: started.elapsed(),
                    ..Default::default()
                }
            }
        };
        if let (Some(lookup), Some(url::Host::Domain(name))) = (&self.via_proxy, url.host()) {
            if let Err(refused) = self.judge_by_name(lookup.as_ref(), name).await {
                return Response {
                    error: Some(refused),
                    duration: started.elapsed(),
                    ..Default::default()
                };
            }
        }
        let client = match self.client_for(client_certificate) {
            Ok(client) => client,
            Err(message) => {
                return Response {
                    error: Some((ErrorKind::Request, message)),
                    duration: started.elapsed(),
                    ..Default::default()
                }
            }
        };
        let host = url.host_str().map(|h| match url.port() {
            Some(port) => format!("{h}:{port}"),
            None => h.to_owned(),
        });
        // One deadline for the whole exchange, response excerpt included:
        // the `tokio::time::timeout` below (not reqwest's per-request one
        // as well, a second timer per attempt measuring the same thing).
        let exchange = async {
            let resp = client.post(url).headers(headers).body(body).send().await?;
            let status = resp.status().as_u16();
            let retry_after = matches!(status, 429 | 503)
                .then(|| retry_after(resp.headers()))
                .flatten();
            let headers = resp
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let excerpt = read_excerpt(resp).await;
            Ok::<_, reqwest::Error>((status, retry_after, headers, excerpt))
        };
        let mut out = match tokio::time::timeout(timeout, exchange).await {
            Err(_) => Response {
                error: Some((
                    ErrorKind::Timeout,
                    format!("no response within {timeout:?}"),
                )),
                ..Default::default()
            },
            Ok(Err(e)) => Response {
                error: Some(classify(&e, client_certificate.is_some())),
                ..Default::default()
            },
            Ok(Ok((status, retry_after, headers, body))) => Response {
                status: Some(status),
                retry_after,
                headers,
                body: Some(body),
                ..Default::default()
            },
        };
        out.duration = started.elapsed();
        out.host = host;
        out
    }
}

/// Read at most [`RESPONSE_EXCERPT_BYTES`], then drop the rest (closing the
/// connection if the body was longer: we never download a huge body).
async fn read_excerpt(mut resp: reqwest::Response) -> String {
    let mut buf = Vec::new();
    while buf.len() < RESPONSE_EXCERPT_BYTES {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let room = RESPONSE_EXCERPT_BYTES - buf.len();
                buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// A `Retry-After` in seconds or as an HTTP date, capped at
/// [`MAX_RETRY_AFTER`]; a date in the past means "now".
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => httpdate::parse_http_date(value)
            .ok()?
            .duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    };
    Some(wait.min(MAX_RETRY_AFTER))
}
