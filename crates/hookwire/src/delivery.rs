//! Getting one delivery to its webhook: the HTTP sender, one attempt, and a
//! webhook's outbound rate limit.
//!
//! - [`http`]: the pooled HTTP client (one more per TLS client certificate),
//!   with the SSRF guard applied to the address actually connected to.
//! - `egress_proxy`: the operator's forward proxy deliveries may go through.
//! - `receiver_roots`: CA certificates trusted for receivers besides the
//!   public web roots.
//! - [`attempt`]: builds and signs one request, sends it, records the attempt and
//!   decides what happens next (delivered, retry at, failed, disable the webhook).
//! - `rate_limit`: a webhook's requests-per-second limit, over every node.
//! - `circuit`: a webhook's circuit breaker, over every node: no attempts
//!   while its receiver is plainly down.
//!
//! Which deliveries run, when and how many at once is the
//! [`pipeline`](crate::pipeline)'s; this module attempts the job it is given.

pub mod attempt;
pub(crate) mod circuit;
mod egress_proxy;
pub mod http;
pub(crate) mod rate_limit;
mod receiver_roots;

pub use attempt::TestSend;
pub use egress_proxy::EgressProxy;
pub use http::HttpSender;
pub use receiver_roots::ReceiverRoots;
