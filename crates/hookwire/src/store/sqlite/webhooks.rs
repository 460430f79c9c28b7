//! The webhooks' SQL (SQLite); the operations are shared
//! ([`crate::store::sql::webhooks`]). Lists (event filters, channels) are
//! JSON text, read with `json_each`.
//!
//! SQL text only: the control flow is shared.

use super::SqliteStore;
use crate::secret::sealer::Sealer;
use crate::store::sql::webhooks::columns::Placeholder;
use crate::store::sql::webhooks::WebhookSql;

impl WebhookSql for SqliteStore {
    const PLACEHOLDER: Placeholder = |n| format!("?{n}");
    const GET: &'static str = "SELECT * FROM webhooks WHERE id = ?1 AND tenant_id = ?2";
    const MATCHING: &'static str =
        "SELECT g.generation AS webhook_generation, webhooks.* FROM webhook_generation g \
         LEFT JOIN webhooks ON (webhooks.tenant_id = ?1 OR webhooks.tenant_id IS NULL) \
           AND webhooks.is_active = 1 \
           AND EXISTS (SELECT 1 FROM json_each(webhooks.events) e \
                       WHERE e.value IN (SELECT value FROM json_each(?2))) \
           AND (webhooks.channels = '[]' OR (?3 IS NOT NULL AND EXISTS \
                (SELECT 1 FROM json_each(webhooks.channels) c WHERE c.value = ?3))) \
         ORDER BY webhooks.id";
    const LIST: &'static str = "SELECT * FROM webhooks WHERE tenant_id = ?1 \
           AND (?2 IS NULL OR id < ?2) \
           AND (?3 IS NULL OR is_active = ?3) \
           AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(webhooks.events) e \
                WHERE e.value IN (SELECT value FROM json_each(?4)))) \
         ORDER BY id DESC LIMIT ?5";
    const FAILED: &'static str =
        "UPDATE webhooks SET failing_since = COALESCE(failing_since, ?2) WHERE id = ?1 \
         RETURNING failing_since";
    const RECOVERED: &'static str =
        "UPDATE webhooks SET failing_since = NULL WHERE id = ?1 AND failing_since IS NOT NULL";
    const DISABLE: &'static str =
        "UPDATE webhooks SET is_active = 0, disabled_reason = ?2, updated_at = ?3 \
         WHERE id = ?1 AND is_active = 1";
    const UPDATE: &'static str = "UPDATE webhooks SET \
        url = CASE WHEN ?20 THEN ?3 ELSE url END, \
        name = CASE WHEN ?21 THEN ?4 ELSE name END, \
        description = CASE WHEN ?22 THEN ?5 ELSE description END, \
        events = CASE WHEN ?23 THEN ?6 ELSE events END, \
        channels = CASE WHEN ?24 THEN ?7 ELSE channels END, \
        timeout_seconds = CASE WHEN ?25 THEN ?9 ELSE timeout_seconds END, \
        retry_max_attempts = CASE WHEN ?26 THEN ?10 ELSE retry_max_attempts END, \
        retry_initial_delay_ms = CASE WHEN ?26 THEN ?11 ELSE retry_initial_delay_ms END, \
        retry_max_delay_ms = CASE WHEN ?26 THEN ?12 ELSE retry_max_delay_ms END, \
        headers = CASE WHEN ?27 THEN ?13 ELSE headers END, \
        rate_limit_per_second = CASE WHEN ?29 THEN ?28 ELSE rate_limit_per_second END, \
        filter = CASE WHEN ?31 THEN ?30 ELSE filter END, \
        ordering = CASE WHEN ?33 THEN ?32 ELSE ordering END, \
        client_certificate = CASE WHEN ?35 THEN ?34 ELSE client_certificate END, \
        updated_at = ?17, \
        secret = CASE WHEN ?19 THEN ?14 ELSE secret END, \
        previous_secret = CASE WHEN ?19 THEN ?15 ELSE previous_secret END, \
        previous_secret_expires_at = CASE WHEN ?19 THEN ?16 ELSE previous_secret_expires_at END, \
        is_active = CASE WHEN ?18 THEN ?8 ELSE is_active END, \
        disabled_reason = CASE WHEN ?18 AND ?8 THEN NULL ELSE disabled_reason END, \
        failing_since = CASE WHEN ?18 AND ?8 AND NOT is_active THEN NULL ELSE failing_since END \
        WHERE id = ?1 AND tenant_id IS ?2 \
        RETURNING *";
    const ROTATE: &'static str = "UPDATE webhooks SET previous_secret = secret, secret = ?3, \
           previous_secret_expires_at = ?4, updated_at = ?5 \
         WHERE id = ?1 AND tenant_id = ?2 RETURNING *";
    const DELETE: &'static str = "DELETE FROM webhooks WHERE id = ?1 AND tenant_id = ?2";
    const DELETE_OTHER_GLOBALS: &'static str = "DELETE FROM webhooks WHERE tenant_id IS NULL \
         AND id NOT IN (SELECT value FROM json_each(?1))";
    const SECRETS_AFTER: &'static str =
        "SELECT id, secret, previous_secret, client_certificate FROM webhooks \
         WHERE id > ?1 ORDER BY id LIMIT ?2";
    const REPLACE_SECRETS: &'static str =
        "UPDATE webhooks SET secret = ?2, previous_secret = ?3, client_certificate = ?4 \
         WHERE id = ?1 AND secret = ?5";

    fn sealer(&self) -> &Sealer {
        &self.sealer
    }
}
