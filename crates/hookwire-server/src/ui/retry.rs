//! Retrying many failed deliveries at once from the dashboard: pick a time
//! (and optionally an event type), see how many failed deliveries match, then
//! queue them all again — paced like `POST /deliveries/retry`.

use axum::extract::{Query, State};
use axum::response::Redirect;
use axum::routing::get;
use axum::{Form, Router};
use hookwire::model::{AuditAction, DeliveryStatus};
use hookwire::store::RequeueFilter;
use maud::{html, Markup};
use serde::Deserialize;

use super::error::UiError;
use super::layout::{self, Nav};
use super::viewer::TenantSession;
use super::{form_time, when};
use crate::http::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/retry", get(preview).post(retry))
}

#[derive(Debug, Default, Deserialize)]
struct RetryForm {
    /// `datetime-local`, read as UTC.
    #[serde(default)]
    since: String,
    /// Optional: only events of this type.
    #[serde(default)]
    event_type: String,
    /// After a retry: how many were queued.
    done: Option<u64>,
}

impl RetryForm {
    fn filter(&self) -> Result<RequeueFilter, hookwire::Error> {
        let event_type = self.event_type.trim();
        Ok(RequeueFilter {
            status: DeliveryStatus::Failed,
            since: form_time("since", &self.since)?,
            until: None,
            webhook_id: None,
            event_type: (!event_type.is_empty()).then(|| event_type.to_owned()),
        })
    }
}

/// The form, and once a time is given, how many failed deliveries match.
async fn preview(
    State(state): State<AppState>,
    ts: TenantSession,
    Query(q): Query<RetryForm>,
) -> Result<Markup, UiError> {
    let matching = if q.since.trim().is_empty() {
        None
    } else {
        let filter = q.filter()?;
        Some((
            state
                .hookwire
                .count_retryable(&ts.tenant_id, &filter)
                .await?,
            filter.since,
        ))
    };
    Ok(layout::page(
        "Retry failed deliveries",
        Nav::Events,
        &ts.session,
        html! {
            p { a href="/ui/events" { "← Events" } }
            h1 { "Retry failed deliveries" }
            @if let Some(n) = q.done {
                p class="notice" role="status" data-testid="requeued" {
                    (n) " failed deliveries queued again; they go out "
                    "at a steady pace so new events are not held up."
                }
            }
            form method="get" action="/ui/retry" class="actions card" {
                div {
                    label for="since" { "Failed since (UTC)" }
                    input id="since" name="since" type="datetime-local" value=(q.since) required;
                }
                div {
                    label for="event_type" { "Event type (optional)" }
                    input id="event_type" name="event_type" value=(q.event_type) placeholder="order.paid";
                }
                button type="submit" class="secondary" { "Count" }
            }
            @if let Some((n, since)) = matching {
                @if ts.session.read_only {
                    p data-testid="matching" { (n) " failed deliveries since " (when(since)) "." }
                } @else if n == 0 {
                    p data-testid="matching" { "No failed deliveries since " (when(since)) "." }
                } @else {
                    form method="post" action="/ui/retry" class="card" {
                        p data-testid="matching" {
                            strong { (n) } " failed deliveries since " (when(since)) " will be attempted again."
                        }
                        input type="hidden" name="since" value=(q.since);
                        input type="hidden" name="event_type" value=(q.event_type);
                        button type="submit" { "Retry " (n) " deliveries" }
                    }
                }
            }
        },
    ))
}

async fn retry(
    State(state): State<AppState>,
    ts: TenantSession,
    Form(form): Form<RetryForm>,
) -> Result<Redirect, UiError> {
    let filter = form.filter()?;
    let n = state
        .hookwire
        .retry_deliveries(&ts.tenant_id, &filter)
        .await?;
    ts.audit(&state, AuditAction::DeliveriesRetry, "").await;
    Ok(Redirect::to(&format!("/ui/retry?done={n}")))
}
