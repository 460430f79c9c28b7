//! Prefixed, time-ordered identifiers.
//!
//! Every object gets an id such as `wh_0192f3…`: a short prefix that says what the
//! object is (so a pasted id in a support ticket explains itself) followed by the
//! hex of a UUIDv7. UUIDv7 starts with a millisecond timestamp, so ids sort in
//! creation order; lists use that for stable, index-only cursor pagination.

use uuid::Uuid;

/// Prefix of tenant ids.
pub const TENANT: &str = "tn";
/// Prefix of API key ids (not the key itself).
pub const API_KEY: &str = "key";
/// Prefix of webhook ids.
pub const WEBHOOK: &str = "wh";
/// Prefix of event ids; the id is also the `webhook-id` header of every delivery.
pub const EVENT: &str = "evt";
/// Prefix of delivery ids.
pub const DELIVERY: &str = "dlv";
/// Prefix of dashboard session ids (not the session's token).
pub const SESSION: &str = "ses";
/// Prefix of audit log entry ids.
pub const AUDIT: &str = "aud";
/// Prefix of attempt ids.
pub const ATTEMPT: &str = "att";

/// A new id with the given prefix, e.g. `new_id(WEBHOOK)`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", Uuid::now_v7().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_in_creation_order_and_carry_their_prefix() {
        let a = new_id(WEBHOOK);
        let b = new_id(WEBHOOK);
        assert!(a < b, "{a} should sort before {b}");
        assert!(a.starts_with("wh_") && a.len() == 3 + 32);
    }
}
