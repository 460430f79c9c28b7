//! One delivery: what was sent, every attempt with its request and response, and
//! the Redeliver button.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::Router;
use hookwire::delivery::attempt::payload;
use hookwire::model::{Attempt, AuditAction};
use hookwire::DeliveryId;
use maud::{html, Markup};

use super::attempt_error;
use super::error::UiError;
use super::layout::{self, Nav};
use super::viewer::TenantSession;
use super::{status_badge, when, when_opt};
use crate::http::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/deliveries/{id}", get(show))
        .route("/deliveries/{id}/retry", post(retry))
}

/// JSON pretty-printed, or the text as it is.
pub(super) fn pretty(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| body.to_owned())
}

async fn show(
    State(state): State<AppState>,
    ts: TenantSession,
    Path(id): Path<DeliveryId>,
) -> Result<Markup, UiError> {
    let detail = state.hookwire.delivery(&ts.tenant_id, &id).await?;
    let d = &detail.delivery;
    let event = state
        .hookwire
        .event_record(&ts.tenant_id, &d.event_id)
        .await?;
    // The bytes every attempt sent and signed (the payload is rebuilt exactly
    // from the stored event).
    let body = payload(&event, &d.webhook_id);
    Ok(layout::page(
        &format!("Delivery {}", d.id),
        Nav::Webhooks,
        &ts.session,
        html! {
            p { a href={ "/ui/webhooks/" (d.webhook_id) } { "← Webhook" } }
            h1 { "Delivery " code { (d.id) } }
            @if !ts.session.read_only {
                form method="post" action={ "/ui/deliveries/" (d.id) "/retry" } class="actions" {
                    button type="submit" { "Redeliver" }
                }
            }
            section id="live" data-live aria-live="polite" {
                dl class="facts card" {
                    dt { "Status" } dd data-testid="status" { (status_badge(d.status)) }
                    dt { "Attempts" } dd data-testid="attempt-count" { (d.attempt_count) }
                    dt { "Event" } dd { a href={ "/ui/events/" (d.event_id) } { code { (d.event_id) } } " (" (d.event_type) ")" }
                    dt { "Created" } dd { (when(d.created_at)) }
                    dt { "Next attempt" } dd {
                        @if d.leased && !d.status.is_final() { "in flight" }
                        @else { (when_opt(d.next_attempt_at.filter(|_| d.is_scheduled()))) }
                    }
                    dt { "Completed" } dd { (when_opt(d.completed_at)) }
                }
                h2 { "Attempts" }
                @if detail.attempts.is_empty() { p class="muted" { "No attempt yet." } }
                @for (i, a) in detail.attempts.iter().enumerate().rev() {
                    (attempt(a, i + 1 == detail.attempts.len()))
                }
            }
            h2 { "Request body" }
            p class="muted" { "Exactly the bytes sent and signed." }
            pre data-testid="request-body" { code { (body) } }
            details {
                summary { "Pretty-printed" }
                pre { code { (pretty(&body)) } }
            }
        },
    ))
}

fn headers(h: &BTreeMap<String, String>) -> Markup {
    html! {
        @if h.is_empty() { p class="muted" { "None recorded." } } @else {
            div class="table-wrap" {
                table { tbody { @for (k, v) in h { tr { th scope="row" { code { (k) } } td { code { (v) } } } } } }
            }
        }
    }
}

/// One attempt, newest open.
fn attempt(a: &Attempt, open: bool) -> Markup {
    html! {
        details class="attempt" open[open] data-testid="attempt" {
            summary {
                "Attempt " (a.attempt_number) " · "
                @if let Some(s) = a.http_status { "HTTP " (s) } @else { (a.error_kind.as_deref().unwrap_or("no response")) }
                " · " (a.duration_ms) " ms · " (when(a.started_at))
            }
            @if let Some(m) = &a.error_message {
                p class="error" data-testid="attempt-error" { (attempt_error::in_words(a.error_kind.as_deref(), m)) }
                details {
                    summary { "Error details" }
                    pre { code { (a.error_kind.as_deref().unwrap_or("error")) ": " (m) } }
                }
            }
            h3 { "Request headers" }
            (headers(&a.request_headers))
            h3 { "Response headers" }
            (headers(&a.response_headers))
            h3 { "Response body (first 4 KiB)" }
            @match &a.response_body {
                Some(b) if !b.is_empty() => pre { code { (b) } },
                _ => p class="muted" { "Empty." },
            }
        }
    }
}

async fn retry(
    State(state): State<AppState>,
    ts: TenantSession,
    Path(id): Path<DeliveryId>,
) -> Result<Redirect, UiError> {
    state.hookwire.retry_delivery(&ts.tenant_id, &id).await?;
    ts.audit(&state, AuditAction::DeliveriesRetry, &id).await;
    Ok(Redirect::to(&format!("/ui/deliveries/{id}")))
}
