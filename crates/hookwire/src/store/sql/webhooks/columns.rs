//! The SQL of the `webhooks` table that both dialects write the same way,
//! built from one column list: the insert and the upsert of configured
//! webhooks, with each dialect's placeholder (`?1` or `$1`). The webhooks'
//! operations bind the values in this order.
//!
//! Text only: binding the values is the parent's.

/// Every column of `webhooks`, in the order the backends bind a webhook.
pub(crate) const COLUMNS: [&str; 24] = [
    "id",
    "tenant_id",
    "url",
    "name",
    "description",
    "events",
    "channels",
    "is_active",
    "timeout_seconds",
    "retry_max_attempts",
    "retry_initial_delay_ms",
    "retry_max_delay_ms",
    "headers",
    "secret",
    "previous_secret",
    "previous_secret_expires_at",
    "disabled_reason",
    "created_at",
    "updated_at",
    "failing_since",
    "rate_limit_per_second",
    "filter",
    "ordering",
    "client_certificate",
];

/// What the config file sets on a global webhook. The rest is runtime state
/// a restart keeps: whether it is active, why it was disabled, its failure
/// run, a rotated-out secret.
const CONFIGURED: [&str; 16] = [
    "url",
    "name",
    "description",
    "events",
    "channels",
    "timeout_seconds",
    "retry_max_attempts",
    "retry_initial_delay_ms",
    "retry_max_delay_ms",
    "headers",
    "rate_limit_per_second",
    "filter",
    "ordering",
    "secret",
    "client_certificate",
    "updated_at",
];

/// A dialect's placeholder for the `n`th bound value (from 1).
pub(crate) type Placeholder = fn(usize) -> String;

/// `INSERT INTO webhooks (…) VALUES (…)` of every column.
pub(crate) fn insert(placeholder: Placeholder) -> String {
    let values: Vec<String> = (1..=COLUMNS.len()).map(placeholder).collect();
    format!(
        "INSERT INTO webhooks ({}) VALUES ({})",
        COLUMNS.join(", "),
        values.join(", ")
    )
}

/// [`insert`], or, for an existing id, an update of the configured columns.
pub(crate) fn upsert_configured(placeholder: Placeholder) -> String {
    let set: Vec<String> = CONFIGURED
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!(
        "{} ON CONFLICT (id) DO UPDATE SET {}",
        insert(placeholder),
        set.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_insert_names_each_column_once_with_a_placeholder_each() {
        let sql = insert(|n| format!("${n}"));
        assert!(sql.starts_with("INSERT INTO webhooks (id, tenant_id, url,"));
        assert!(sql.ends_with("$23, $24)"), "{sql}");
        for c in CONFIGURED {
            assert!(COLUMNS.contains(&c), "{c} is a column");
        }
        let upsert = upsert_configured(|n| format!("?{n}"));
        assert!(upsert.contains("?24) ON CONFLICT (id) DO UPDATE SET url = excluded.url"));
        assert!(
            !upsert.contains("is_active = excluded"),
            "runtime state stays"
        );
    }
}
