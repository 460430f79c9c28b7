//! The SQL of settings, tenants and API keys (PostgreSQL); the operations
//! are shared ([`crate::store::sql::tenants`]).
//!
//! SQL text only: the control flow is shared.

use super::PgStore;
use crate::store::sql::tenants::TenantSql;

impl TenantSql for PgStore {
    const SETTING: &'static str = "SELECT value FROM settings WHERE key = $1";
    const INSERT_SETTING: &'static str =
        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING";
    const INSERT_TENANT: &'static str =
        "INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)";
    const TENANT: &'static str = "SELECT * FROM tenants WHERE id = $1";
    const LIST_TENANTS: &'static str =
        "SELECT * FROM tenants WHERE ($1::text IS NULL OR id < $1) AND id <> $3 \
         ORDER BY id DESC LIMIT $2";
    const DELETE_TENANT: &'static str = "DELETE FROM tenants WHERE id = $1";
    const INSERT_KEY: &'static str =
        "INSERT INTO api_keys (id, tenant_id, lookup_prefix, key_hash, created_at, name, scopes, \
           expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    const KEYS_BY_PREFIX: &'static str = "SELECT * FROM api_keys WHERE lookup_prefix = $1";
    const KEYS_OF_TENANT: &'static str =
        "SELECT * FROM api_keys WHERE tenant_id = $1 ORDER BY id DESC";
    const DELETE_KEY: &'static str = "DELETE FROM api_keys WHERE id = $1 AND tenant_id = $2";
    const TOUCH_KEY: &'static str = "UPDATE api_keys SET last_used_at = $2 WHERE id = $1";
}
