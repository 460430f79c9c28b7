//! Prefixed, time-ordered identifiers, and the types that keep them apart.
//!
//! Every object gets an id such as `wh_0192f3…`: a short prefix that says what the
//! object is (so a pasted id in a support ticket explains itself) followed by the
//! hex of a UUIDv7. UUIDv7 starts with a millisecond timestamp, so ids sort in
//! creation order; lists use that for stable, index-only cursor pagination.
//!
//! The ids the library API takes — [`TenantId`], [`WebhookId`], [`EventId`],
//! [`DeliveryId`], [`ApiKeyId`] — are types of their own, so a webhook id cannot
//! be passed where a tenant id belongs: `hookwire.webhook(&tenant, &webhook)`
//! with the two swapped does not compile. They are opaque keys, not parsed:
//! any string converts, and one that no object carries finds nothing (the
//! API's 404), the same answer as an object deleted a moment ago — a shape
//! check would add a second answer for no gain, and ids fixed by the operator
//! (the operator tenant, global webhooks keyed by name) keep their own form.
//! Each dereferences to `str`, so the store's statements bind them as text, and
//! each is `serde`- and `sqlx`-transparent: JSON and database columns hold the
//! plain string.
//!
//! This module owns id generation and these types; it knows nothing of what
//! the objects are or where they are stored.

use std::fmt;

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

/// One id type: the newtype, a fresh id with its prefix, and the conversions
/// every id shares (from and to text, `Deref<Target = str>`, `Display`).
macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[derive(serde::Serialize, serde::Deserialize, sqlx::Type)]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new, unused id: the prefix and a time-ordered UUIDv7.
            pub fn generate() -> Self {
                Self(new_id($prefix))
            }

            /// The id as text, e.g. for a URL or a log line.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id as an owned string (for views that hold plain text).
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == &other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        /// The SQLite writer's group commit binds and reads with rusqlite.
        #[cfg(feature = "sqlite")]
        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                self.0.to_sql()
            }
        }

        #[cfg(feature = "sqlite")]
        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                String::column_result(value).map(Self)
            }
        }
    };
}

typed_id!(
    /// A tenant's id (`tn_…`): the scope of every webhook, event and key.
    TenantId,
    TENANT
);
typed_id!(
    /// A webhook's id (`wh_…`).
    WebhookId,
    WEBHOOK
);
typed_id!(
    /// An event's id (`evt_…`), also the `webhook-id` header of its deliveries.
    EventId,
    EVENT
);
typed_id!(
    /// A delivery's id (`dlv_…`): one event to one webhook.
    DeliveryId,
    DELIVERY
);
typed_id!(
    /// An API key's id (`key_…`), not the key itself.
    ApiKeyId,
    API_KEY
);

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

    #[test]
    fn typed_ids_are_plain_text_in_json_and_carry_their_prefix() {
        let id = WebhookId::generate();
        assert!(id.starts_with("wh_"), "{id}");
        assert!(TenantId::generate().starts_with("tn_"));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        let back: WebhookId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        assert_eq!(WebhookId::from("wh_x"), "wh_x");
    }
}
