//! One webhook: its settings, health, chart, recent deliveries and the forms of
//! its actions (the actions themselves are in [`super::webhook_actions`]).

use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::Router;
use hookwire::model::{Delivery, Webhook};
use hookwire::page::PageRequest;
use hookwire::store::DeliveryFilter;
use hookwire::WebhookId;
use maud::{html, Markup};
use serde::Deserialize;

use super::error::UiError;
use super::layout::{self, Nav};
use super::viewer::TenantSession;
use super::webhook_form::WebhookForm;
use super::webhooks::{active_badge, circuit_badge};
use super::{chart, rate, status_badge, when, when_opt};
use crate::http::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/webhooks/{id}", get(show))
}

/// The chart windows offered: query value, label, length, buckets.
const WINDOWS: [(&str, &str, u64, u32); 3] = [
    ("1h", "1 hour", 3600, 12),
    ("24h", "24 hours", 86_400, 24),
    ("7d", "7 days", 7 * 86_400, 28),
];

#[derive(Debug, Default, Deserialize)]
pub(super) struct ShowQuery {
    window: Option<String>,
    /// Set after a recovery: how many deliveries were requeued.
    recovered: Option<u64>,
}

async fn show(
    State(state): State<AppState>,
    ts: TenantSession,
    Path(id): Path<WebhookId>,
    Query(q): Query<ShowQuery>,
) -> Result<Markup, UiError> {
    let webhook = state.hookwire.webhook(&ts.tenant_id, &id).await?;
    render(&state, &ts, &webhook, &q, &WebhookForm::of(&webhook), None).await
}

/// The webhook page; `form` and `error` refill the edit form after a rejected edit.
pub(super) async fn render(
    state: &AppState,
    ts: &TenantSession,
    w: &Webhook,
    q: &ShowQuery,
    form: &WebhookForm,
    error: Option<&str>,
) -> Result<Markup, UiError> {
    let (window_key, window_label, secs, buckets) = WINDOWS
        .iter()
        .copied()
        .find(|(k, ..)| Some(*k) == q.window.as_deref())
        .unwrap_or(WINDOWS[1]);
    let window = Duration::from_secs(secs);
    let hw = &state.hookwire;
    let stats = hw.webhook_stats(&ts.tenant_id, &w.id, window).await?;
    let timeline = hw
        .webhook_timeline(&ts.tenant_id, &w.id, window, buckets)
        .await?;
    let recent = hw
        .list_deliveries(
            &ts.tenant_id,
            &w.id,
            &DeliveryFilter::default(),
            &PageRequest::parse(Some(20), None)?,
        )
        .await?;
    let circuit = hw
        .circuits(std::slice::from_ref(&w.id))
        .await?
        .remove(&w.id);
    let base = format!("/ui/webhooks/{}", w.id);
    let title = w.name.clone().unwrap_or_else(|| w.url.clone());
    let day_ago = (hookwire::clock::now() - chrono::TimeDelta::hours(24)).format("%Y-%m-%dT%H:%M");
    Ok(layout::page(
        &title,
        Nav::Webhooks,
        &ts.session,
        html! {
            p { a href="/ui/webhooks" { "← Webhooks" } }
            h1 { (title) " " (active_badge(w)) " " (circuit_badge(circuit.as_ref())) }
            @if let Some(n) = q.recovered {
                p class="notice" role="status" { "Recovery requeued " (n) " failed deliveries." }
            }
            @if let Some(reason) = &w.disabled_reason {
                p class="error" { "Disabled: " (reason) }
            }
            @if let Some(c) = circuit.as_ref().filter(|c| c.is_open()) {
                p class="error" data-testid="circuit-notice" {
                    "Circuit open: " (c.failures) " attempts in a row found the receiver down, so deliveries wait without being attempted. "
                    @if let Some(at) = c.next_probe_at { "The next one goes as a probe at " (at.format("%H:%M:%S UTC")) "; " }
                    "a successful test send closes it now."
                }
            }
            dl class="facts card" {
                dt { "Id" } dd { code { (w.id) } }
                dt { "URL" } dd { code { (w.url) } }
                dt { "Events" } dd { (w.events.join(", ")) }
                @if !w.channels.is_empty() { dt { "Channels" } dd { (w.channels.join(", ")) } }
                @if let Some(f) = &w.filter { dt { "Payload filter" } dd { code data-testid="filter" { (f.as_json()) } } }
                dt { "Ordering" } dd data-testid="ordering" { (w.ordering.as_str()) }
                dt { "Signatures" } dd data-testid="signature-scheme" { (w.secret.scheme().as_str()) }
                @if let Some(public) = w.secret.public_key() {
                    dt { "Public key" } dd { code data-testid="public-key" { (public.encode()) } }
                }
                dt { "Client certificate" } dd data-testid="client-certificate" {
                    @if w.client_certificate.is_some() { "presented when the receiver asks (mutual TLS)" } @else { "none" }
                }
                @if let Some(d) = &w.description { dt { "Description" } dd { (d) } }
                dt { "Timeout" } dd { (w.timeout_seconds) " s" }
                @if let Some(rate) = w.rate_limit_per_second { dt { "Rate limit" } dd { (rate) " requests/s" } }
                dt { "Retries" } dd { (w.retry.max_attempts) " attempts, backoff from " (w.retry.initial_delay_ms) " ms" }
                dt { "Created" } dd { (when(w.created_at)) }
            }
            @if !ts.session.read_only { (actions(&base, w, &day_ago.to_string())) }
            section id="live" data-live aria-live="polite" {
                h2 { "Last " (window_label) }
                div class="stats" {
                    div { "Deliveries" strong data-testid="total" { (stats.total) } }
                    div { "Delivered" strong { (stats.delivered) } }
                    div { "Failed" strong { (stats.failed) } }
                    div { "Pending" strong { (stats.pending) } }
                    div { "Success" strong { (rate(hookwire::service::success_rate(stats.delivered, stats.total))) } }
                    div { "Mean latency" strong { @if let Some(ms) = stats.avg_duration_ms { (format!("{ms:.0} ms")) } @else { "—" } } }
                }
                p {
                    "Window: "
                    @for (k, label, ..) in WINDOWS {
                        @if k == window_key { strong { (label) } } @else { a href={ (base) "?window=" (k) } { (label) } }
                        " "
                    }
                }
                (chart::timeline(&timeline, &format!("Deliveries of the last {window_label} by outcome, with mean latency")))
                h2 { "Recent deliveries" }
                (deliveries_table(&recent.items))
            }
            @if !ts.session.read_only {
                h2 { "Settings" }
                form method="post" action=(base) class="card" {
                    @if let Some(e) = error { p class="error" role="alert" { (e) } }
                    (form.fields())
                    button type="submit" { "Save changes" }
                }
            }
        },
    ))
}

fn actions(base: &str, w: &Webhook, day_ago: &str) -> Markup {
    html! {
        div class="actions" {
            form method="post" action={ (base) "/test" } class="inline" {
                button type="submit" { "Send test event" }
            }
            @if w.is_active {
                form method="post" action={ (base) "/disable" } class="inline" {
                    button type="submit" class="secondary" { "Disable" }
                }
            } @else {
                form method="post" action={ (base) "/enable" } class="inline" {
                    button type="submit" class="secondary" { "Enable" }
                }
            }
            form method="post" action={ (base) "/rotate" } class="inline"
                data-confirm="Rotate the signing secret? The old one keeps signing for 24 hours." {
                button type="submit" class="secondary" { "Rotate secret" }
            }
            form method="post" action={ (base) "/delete" } class="inline"
                data-confirm="Delete this webhook and its delivery history?" {
                button type="submit" class="danger" { "Delete" }
            }
        }
        form method="post" action={ (base) "/recover" } class="actions" {
            div {
                label for="since" { "Recover failed deliveries since (UTC)" }
                input id="since" name="since" type="datetime-local" value=(day_ago) required;
            }
            button type="submit" class="secondary" { "Recover" }
        }
    }
}

/// Deliveries as a table linking to each one's page.
pub(super) fn deliveries_table(items: &[Delivery]) -> Markup {
    html! {
        @if items.is_empty() {
            p class="muted" { "No deliveries yet." }
        } @else {
            div class="table-wrap" {
                table data-testid="deliveries" {
                    thead { tr {
                        th { "Delivery" } th { "Event type" } th { "Status" } th { "Attempts" }
                        th { "Last response" } th class="hide-narrow" { "Created" }
                    } }
                    tbody {
                        @for d in items {
                            tr {
                                td { a href={ "/ui/deliveries/" (d.id) } { code { (d.id) } } }
                                td { (d.event_type) }
                                td { (status_badge(d.status)) }
                                td { (d.attempt_count) }
                                td {
                                    @if let Some(s) = d.last_http_status { "HTTP " (s) }
                                    @else if let Some(e) = &d.last_error { (e) }
                                    @else { "—" }
                                }
                                td class="hide-narrow" { (when_opt(Some(d.created_at))) }
                            }
                        }
                    }
                }
            }
        }
    }
}
