//! "Which of the last 50 events would match": the webhook forms' preview of
//! their event types, channels and payload filter against the tenant's
//! recent events. A GET that changes nothing, so read-only sessions may use
//! it too.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;
use hookwire::model::{Event, EventFilter, PayloadFilter};
use hookwire::page::PageRequest;
use maud::{html, Markup};
use serde::Deserialize;

use super::error::UiError;
use super::layout::{self, Nav};
use super::viewer::TenantSession;
use super::webhook_form::{parse_filter, words};
use super::when;
use crate::http::state::AppState;

/// How many recent events the preview tries.
const RECENT: u32 = 50;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/filter-preview", get(preview))
}

/// The form fields the preview reads (the rest of the form is ignored).
#[derive(Debug, Default, Deserialize)]
struct PreviewQuery {
    #[serde(default)]
    events: String,
    #[serde(default)]
    channels: String,
    #[serde(default)]
    filter: String,
    /// The webhook being edited, for filters on `webhook_id`.
    #[serde(default)]
    webhook_id: String,
}

/// Why an event would, or would not, reach the webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Delivered,
    OtherType,
    OtherChannel,
    FilteredOut,
}

impl Outcome {
    fn of(
        event: &Event,
        types: &[EventFilter],
        channels: &[String],
        filter: Option<&PayloadFilter>,
        webhook_id: &str,
    ) -> Self {
        if !types.iter().any(|t| t.matches(&event.event_type)) {
            Outcome::OtherType
        } else if !channels.is_empty()
            && !event.channel.as_ref().is_some_and(|c| channels.contains(c))
        {
            Outcome::OtherChannel
        } else if filter.is_some_and(|f| !f.matches_event(event, webhook_id)) {
            Outcome::FilteredOut
        } else {
            Outcome::Delivered
        }
    }

    fn badge(self) -> Markup {
        let (class, text) = match self {
            Outcome::Delivered => ("active", "would be delivered"),
            Outcome::OtherType => ("disabled", "other event type"),
            Outcome::OtherChannel => ("disabled", "other channel"),
            Outcome::FilteredOut => ("disabled", "filtered out"),
        };
        html! { span class={ "badge " (class) } data-outcome=(text) { (text) } }
    }
}

async fn preview(
    State(state): State<AppState>,
    ts: TenantSession,
    Query(q): Query<PreviewQuery>,
) -> Result<Markup, UiError> {
    let mut types = Vec::new();
    for raw in words(&q.events) {
        types.push(EventFilter::parse(&raw, "events").map_err(hookwire::Error::Invalid)?);
    }
    if types.is_empty() {
        types.push(EventFilter::parse("*", "events").map_err(hookwire::Error::Invalid)?);
    }
    let channels = words(&q.channels);
    let filter = parse_filter(&q.filter)
        .and_then(|f| f.map(|f| PayloadFilter::parse(f, "filter")).transpose())
        .map_err(hookwire::Error::Invalid)?;
    let webhook_id = match q.webhook_id.trim() {
        "" => "wh_preview",
        id => id,
    };
    let recent = state
        .hookwire
        .list_events(
            &ts.tenant_id,
            &hookwire::store::EventFilter::default(),
            &PageRequest::parse(Some(RECENT), None)?,
        )
        .await?;
    let rows: Vec<(&Event, Outcome)> = recent
        .items
        .iter()
        .map(|e| {
            (
                e,
                Outcome::of(e, &types, &channels, filter.as_ref(), webhook_id),
            )
        })
        .collect();
    let delivered = rows
        .iter()
        .filter(|(_, o)| *o == Outcome::Delivered)
        .count();
    Ok(layout::page(
        "Filter preview",
        Nav::Webhooks,
        &ts.session,
        html! {
            p { a href="/ui/webhooks" { "← Webhooks" } }
            h1 { "Which recent events would match" }
            p data-testid="summary" {
                strong { (delivered) } " of the last " (rows.len()) " events would be delivered"
            }
            @if let Some(f) = &filter {
                p { "Filter: " code { (f.as_json()) } }
            }
            p class="muted" { "Go back to keep editing; nothing was saved." }
            @if rows.is_empty() {
                p class="muted" { "No events yet." }
            } @else {
                div class="table-wrap" {
                    table data-testid="preview" {
                        thead { tr { th { "Event" } th { "Type" } th { "Channel" } th { "Published" } th { "Outcome" } } }
                        tbody {
                            @for (e, outcome) in &rows {
                                tr {
                                    td { code { (e.id) } }
                                    td { (e.event_type) }
                                    td { (e.channel.as_deref().unwrap_or("—")) }
                                    td { (when(e.created_at)) }
                                    td { (outcome.badge()) }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}
