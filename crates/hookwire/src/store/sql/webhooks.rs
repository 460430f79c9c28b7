//! Webhook subscriptions ([`WebhookStore`]), once for both backends: create,
//! read, list, update only the columns a change names, rotate a secret in one
//! statement, delete, the configured (global) webhooks, re-sealing secrets,
//! a webhook's health (failure run, disabling) and the lookup a publish fans
//! out from. The SQL text is each backend's ([`WebhookSql`]).
//!
//! Secrets are sealed on the way in and opened on the way out here, so no
//! other module handles a stored secret's sealed form. Every change to the
//! table moves the webhook generation on (a trigger in the migrations), which
//! every node's webhook cache relies on. No driver type here.

pub(crate) mod columns;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use self::columns::Placeholder;
use super::rows::webhook_from_row;
use super::{Arg, Dialect, Read, Write};
use crate::model::Webhook;
use crate::page::{Page, PageRequest};
use crate::secret::sealer::Sealer;
use crate::secret::WebhookSecret;
use crate::store::shared::{filter_text, reseal_row, seal_client_certificate, SealedColumns};
use crate::store::{Matched, Result, WebhookChanges, WebhookFilter, WebhookStore};

/// How many webhooks one step of [`WebhookStore::reseal_secrets`] reads, so a
/// large table is re-sealed in bounded steps.
const RESEAL_PAGE: i64 = 500;

/// The webhooks' statements in one backend's dialect, and the sealer its
/// secrets are kept with; the comment of each lists its placeholders in
/// order. The insert and the configured webhooks' upsert are built from the
/// column list with [`PLACEHOLDER`](Self::PLACEHOLDER).
pub(crate) trait WebhookSql {
    /// The dialect's placeholder for the `n`th value.
    const PLACEHOLDER: Placeholder;
    /// `id, tenant_id`.
    const GET: &'static str;
    /// `tenant_id, patterns, channel`: the generation row left-joined to
    /// the active webhooks (the tenant's and global ones) one of whose
    /// event filters is in `patterns` and whose channels admit `channel`,
    /// as `webhook_generation` and the webhook's columns.
    const MATCHING: &'static str;
    /// `tenant_id, before_id, is_active, patterns, limit`, newest first.
    const LIST: &'static str;
    /// `id, now`: starts a failure run unless one is going; returns
    /// `failing_since`.
    const FAILED: &'static str;
    /// `id`: ends a failure run, writing only when one is going.
    const RECOVERED: &'static str;
    /// `id, reason, now`: only an active webhook.
    const DISABLE: &'static str;
    /// The editable columns as `1…16` (the column list's order), `updated_at`
    /// as `17`, then whether `is_active` (`18`) and the secrets (`19`)
    /// changed, the settings' changed flags `20…27`, `rate_limit_per_second`
    /// and its flag `28, 29`, `filter` `30, 31`, `ordering` `32, 33`, the
    /// client certificate `34, 35`; returns the row.
    const UPDATE: &'static str;
    /// `id, tenant_id, secret, previous_expires_at, now`; returns the row.
    const ROTATE: &'static str;
    /// `id, tenant_id`.
    const DELETE: &'static str;
    /// `ids`: the global webhooks not in the list.
    const DELETE_OTHER_GLOBALS: &'static str;
    /// `after, limit`: sealed columns by id.
    const SECRETS_AFTER: &'static str;
    /// `id, secret, previous_secret, client_certificate, old_secret`.
    const REPLACE_SECRETS: &'static str;

    /// The sealer the backend's secrets are kept with.
    fn sealer(&self) -> &Sealer;
}

/// A webhook's values that are stored in another form than the model's:
/// sealed secrets, the filter as text.
struct Stored {
    secret: String,
    previous_secret: Option<String>,
    filter: Option<String>,
    client_certificate: Option<String>,
}

impl Stored {
    fn of(w: &Webhook, sealer: &Sealer) -> Self {
        Self {
            secret: sealer.seal(w.secret.expose()),
            previous_secret: w.previous_secret.as_ref().map(|p| sealer.seal(p.expose())),
            filter: filter_text(&w.filter),
            client_certificate: seal_client_certificate(sealer, &w.client_certificate),
        }
    }

    /// The first sixteen columns of [`columns::COLUMNS`]: what an update
    /// may write.
    fn editable<'a>(&'a self, w: &'a Webhook) -> [Arg<'a>; 16] {
        [
            w.id.as_str().into(),
            w.tenant_id.as_deref().into(),
            w.url.as_str().into(),
            w.name.as_deref().into(),
            w.description.as_deref().into(),
            Arg::Strings(Some(&w.events)),
            Arg::Strings(Some(&w.channels)),
            w.is_active.into(),
            i64::from(w.timeout_seconds).into(),
            i64::from(w.retry.max_attempts).into(),
            Arg::Int(Some(w.retry.initial_delay_ms as i64)),
            Arg::Int(Some(w.retry.max_delay_ms as i64)),
            Arg::Map(&w.headers),
            self.secret.as_str().into(),
            self.previous_secret.as_deref().into(),
            w.previous_secret_expires_at.into(),
        ]
    }

    /// Every column of [`columns::COLUMNS`], in its order.
    fn all<'a>(&'a self, w: &'a Webhook) -> Vec<Arg<'a>> {
        let mut args = self.editable(w).to_vec();
        args.extend([
            w.disabled_reason.as_deref().into(),
            w.created_at.into(),
            w.updated_at.into(),
            w.failing_since.into(),
            rate_limit(w),
            self.filter.as_deref().into(),
            w.ordering.as_str().into(),
            self.client_certificate.as_deref().into(),
        ]);
        args
    }
}

/// A webhook's outbound rate limit as bound.
fn rate_limit(w: &Webhook) -> Arg<'static> {
    Arg::Int(w.rate_limit_per_second.map(i64::from))
}

#[async_trait]
impl<D: Dialect + WebhookSql + 'static> WebhookStore for D {
    async fn insert_webhook(&self, w: &Webhook) -> Result<()> {
        let sql = columns::insert(D::PLACEHOLDER);
        let stored = Stored::of(w, self.sealer());
        self.write("webhook", &sql, &stored.all(w)).await?;
        Ok(())
    }

    /// By id within the tenant: another tenant's webhook reads as absent,
    /// the same answer as one that does not exist.
    async fn webhook(&self, tenant_id: &str, id: &str) -> Result<Option<Webhook>> {
        let row = self
            .read_one(D::GET, &[id.into(), tenant_id.into()])
            .await?;
        row.map(|r| webhook_from_row(&r, self.sealer())).transpose()
    }

    /// One statement, the generation row left-joined to the matches, so it
    /// comes back when nothing matches.
    async fn matching_webhooks(
        &self,
        tenant_id: &str,
        patterns: &[String],
        channel: Option<&str>,
    ) -> Result<Matched> {
        let args = [
            tenant_id.into(),
            Arg::Strings(Some(patterns)),
            channel.into(),
        ];
        let rows = self.read(D::MATCHING, &args).await?;
        Matched::from_rows(rows.iter().map(|row| {
            let webhook = match row.opt_text("id")? {
                Some(_) => Some(webhook_from_row(row, self.sealer())?),
                None => None,
            };
            Ok((row.int("webhook_generation")?, webhook))
        }))
    }

    /// Newest first by id (ids sort by creation time), keyset-paged; with an
    /// event type, only the webhooks one of whose filters admits it.
    async fn list_webhooks(
        &self,
        tenant_id: &str,
        filter: &WebhookFilter,
        page: &PageRequest,
    ) -> Result<Page<Webhook>> {
        let patterns = filter.event.as_ref().map(|e| e.matching_filters());
        let args = [
            tenant_id.into(),
            page.before_id.as_deref().into(),
            filter.is_active.into(),
            Arg::Strings(patterns.as_deref()),
            page.fetch_limit().into(),
        ];
        let rows = self.read(D::LIST, &args).await?;
        let items = rows
            .iter()
            .map(|r| webhook_from_row(r, self.sealer()))
            .collect::<Result<_>>()?;
        Ok(Page::from_rows(items, page, |w: &Webhook| &w.id))
    }

    /// One statement whose every column takes the caller's value only when
    /// [`WebhookChanges`] says it changed, so two concurrent updates of
    /// different fields both stick; health columns follow the row.
    async fn update_webhook(
        &self,
        w: &Webhook,
        changes: WebhookChanges,
    ) -> Result<Option<Webhook>> {
        let stored = Stored::of(w, self.sealer());
        let set = changes.settings;
        let mut args = stored.editable(w).to_vec();
        args.extend([
            w.updated_at.into(),
            changes.is_active.into(),
            changes.secrets.into(),
            set.url.into(),
            set.name.into(),
            set.description.into(),
            set.events.into(),
            set.channels.into(),
            set.timeout.into(),
            set.retry.into(),
            set.headers.into(),
            rate_limit(w),
            set.rate_limit.into(),
            stored.filter.as_deref().into(),
            set.filter.into(),
            w.ordering.as_str().into(),
            set.ordering.into(),
            stored.client_certificate.as_deref().into(),
            set.client_certificate.into(),
        ]);
        let rows = self.write_rows("webhook", D::UPDATE, &args).await?;
        rows.first()
            .map(|r| webhook_from_row(r, self.sealer()))
            .transpose()
    }

    /// The current secret becomes the previous one in the same statement, so
    /// two concurrent rotations never lose the secret receivers still hold.
    async fn rotate_webhook_secret(
        &self,
        tenant_id: &str,
        id: &str,
        secret: &WebhookSecret,
        previous_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Webhook>> {
        let sealed = self.sealer().seal(secret.expose());
        let args = [
            id.into(),
            tenant_id.into(),
            sealed.as_str().into(),
            previous_expires_at.into(),
            now.into(),
        ];
        let rows = self.write_rows("webhook", D::ROTATE, &args).await?;
        rows.first()
            .map(|r| webhook_from_row(r, self.sealer()))
            .transpose()
    }

    /// Its deliveries, attempts and send slot go with it (foreign keys
    /// `ON DELETE CASCADE`).
    async fn delete_webhook(&self, tenant_id: &str, id: &str) -> Result<bool> {
        let deleted = self
            .write("webhook", D::DELETE, &[id.into(), tenant_id.into()])
            .await?;
        Ok(deleted == 1)
    }

    /// In one transaction: configured webhooks no longer in the file are
    /// deleted, the rest upserted, keeping their runtime state (see
    /// `columns::upsert_configured`).
    async fn replace_global_webhooks(&self, webhooks: &[Webhook]) -> Result<()> {
        let ids: Vec<&str> = webhooks.iter().map(|w| w.id.as_str()).collect();
        let keep = [Arg::List(&ids)];
        let upsert = columns::upsert_configured(D::PLACEHOLDER);
        let stored: Vec<Stored> = webhooks
            .iter()
            .map(|w| Stored::of(w, self.sealer()))
            .collect();
        let values: Vec<Vec<Arg>> = webhooks
            .iter()
            .zip(&stored)
            .map(|(w, s)| s.all(w))
            .collect();
        let mut writes: Vec<Write> = vec![("webhook", D::DELETE_OTHER_GLOBALS, &keep[..])];
        writes.extend(
            values
                .iter()
                .map(|v| ("webhook", upsert.as_str(), v.as_slice())),
        );
        self.write_all(&writes).await?;
        Ok(())
    }

    /// `COALESCE` keeps the start of a run already going; the answer is
    /// that start, which the caller compares with `auto_disable_after`.
    async fn webhook_failed(
        &self,
        webhook_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let rows = self
            .write_rows("webhook", D::FAILED, &[webhook_id.into(), now.into()])
            .await?;
        rows.first()
            .map(|r| r.opt_time("failing_since"))
            .transpose()
            .map(Option::flatten)
    }

    /// Writes only when a run is going (the caller checks its own copy
    /// first, so a healthy webhook's success costs no write at all).
    async fn webhook_recovered(&self, webhook_id: &str) -> Result<()> {
        self.write("webhook", D::RECOVERED, &[webhook_id.into()])
            .await?;
        Ok(())
    }

    /// Only an active webhook: a second disabling keeps the first reason.
    async fn disable_webhook(
        &self,
        webhook_id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let args = [webhook_id.into(), reason.into(), now.into()];
        self.write("webhook", D::DISABLE, &args).await?;
        Ok(())
    }

    /// A page at a time by id; each row is rewritten only if its secret
    /// still reads as it was read, so a rotation that happened meanwhile
    /// wins (and the row is picked up again by the next reseal).
    async fn reseal_secrets(&self) -> Result<u64> {
        let mut after = String::new();
        let mut rewritten = 0;
        loop {
            let page = self
                .read(
                    D::SECRETS_AFTER,
                    &[after.as_str().into(), RESEAL_PAGE.into()],
                )
                .await?
                .iter()
                .map(|row| {
                    Ok(SealedColumns {
                        id: row.text("id")?,
                        secret: row.text("secret")?,
                        previous_secret: row.opt_text("previous_secret")?,
                        client_certificate: row.opt_text("client_certificate")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let Some(last) = page.last() else { break };
            after = last.id.clone();
            for read in &page {
                let Some(new) = reseal_row(self.sealer(), read)? else {
                    continue;
                };
                let args = [
                    new.id.as_str().into(),
                    new.secret.as_str().into(),
                    new.previous_secret.as_deref().into(),
                    new.client_certificate.as_deref().into(),
                    read.secret.as_str().into(),
                ];
                rewritten += self.write("webhook", D::REPLACE_SECRETS, &args).await?;
            }
        }
        Ok(rewritten)
    }
}
