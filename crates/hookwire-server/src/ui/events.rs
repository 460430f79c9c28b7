//! The tenant's events, filtered by type and channel, and one event with the
//! deliveries it fanned out to and its Replay button.

use axum::extract::{Path, Query, State};
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::Router;
use hookwire::model::AuditAction;
use hookwire::page::PageRequest;
use hookwire::store::EventFilter;
use hookwire::EventId;
use maud::{html, Markup};
use serde::Deserialize;

use super::deliveries::pretty;
use super::error::UiError;
use super::layout::{self, Nav};
use super::viewer::TenantSession;
use super::webhook_form::text;
use super::webhook_page::deliveries_table;
use super::when;
use crate::http::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/events", get(list))
        .route("/events/{id}", get(show))
        .route("/events/{id}/replay", post(replay))
}

/// Deliver the event again to every webhook it matches today; back to the
/// event, whose deliveries now list the new ones.
async fn replay(
    State(state): State<AppState>,
    ts: TenantSession,
    Path(id): Path<EventId>,
) -> Result<Redirect, UiError> {
    state.hookwire.replay(&ts.tenant_id, &id, None).await?;
    ts.audit(&state, AuditAction::EventReplay, &id).await;
    Ok(Redirect::to(&format!("/ui/events/{id}")))
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(rename = "type", default)]
    event_type: String,
    #[serde(default)]
    channel: String,
    cursor: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    ts: TenantSession,
    Query(q): Query<ListQuery>,
) -> Result<Markup, UiError> {
    let filter = EventFilter {
        event_type: text(&q.event_type),
        channel: text(&q.channel),
        ..EventFilter::default()
    };
    let page = state
        .hookwire
        .list_events(
            &ts.tenant_id,
            &filter,
            &PageRequest::parse(Some(50), q.cursor.as_deref())?,
        )
        .await?;
    let next = page.next_cursor.as_ref().map(|c| {
        query_string(&[
            ("type", q.event_type.as_str()),
            ("channel", q.channel.as_str()),
            ("cursor", c.as_str()),
        ])
    });
    Ok(layout::page(
        "Events",
        Nav::Events,
        &ts.session,
        html! {
            h1 { "Events" }
            @if !ts.session.read_only {
                p { a href="/ui/retry" { "Retry failed deliveries…" } }
            }
            form method="get" action="/ui/events" class="actions card" role="search" {
                div {
                    label for="type" { "Event type" }
                    input id="type" name="type" value=(q.event_type) placeholder="order.paid";
                }
                div {
                    label for="channel" { "Channel" }
                    input id="channel" name="channel" value=(q.channel);
                }
                button type="submit" { "Filter" }
            }
            section id="live" data-live aria-live="polite" {
                @if page.items.is_empty() { p class="muted" { "No events match." } } @else {
                    div class="table-wrap" {
                        table {
                            thead { tr { th { "Event" } th { "Type" } th { "Channel" } th class="hide-narrow" { "Published" } } }
                            tbody {
                                @for e in &page.items {
                                    tr {
                                        td { a href={ "/ui/events/" (e.id) } { code { (e.id) } } }
                                        td { (e.event_type) }
                                        td { (e.channel.as_deref().unwrap_or("—")) }
                                        td class="hide-narrow" { (when(e.created_at)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(next) = next {
                p class="pager" { a href={ "/ui/events?" (next) } { "Next page →" } }
            }
        },
    ))
}

/// `a=b&c=d`, percent-encoded, skipping empty values.
fn query_string(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, v)| !v.is_empty()))
        .finish()
}

async fn show(
    State(state): State<AppState>,
    ts: TenantSession,
    Path(id): Path<EventId>,
) -> Result<Markup, UiError> {
    let detail = state.hookwire.event(&ts.tenant_id, &id).await?;
    let e = &detail.event;
    Ok(layout::page(
        &format!("Event {}", e.id),
        Nav::Events,
        &ts.session,
        html! {
            p { a href="/ui/events" { "← Events" } }
            h1 { "Event " code { (e.id) } }
            @if !ts.session.read_only {
                form method="post" action={ "/ui/events/" (e.id) "/replay" } class="actions" {
                    button type="submit" title="A new delivery to every webhook this event matches today, signed with today's secrets" { "Replay" }
                }
            }
            dl class="facts card" {
                dt { "Type" } dd { (e.event_type) }
                dt { "Channel" } dd { (e.channel.as_deref().unwrap_or("—")) }
                dt { "Idempotency key" } dd { (e.idempotency_key.as_deref().unwrap_or("—")) }
                dt { "Published" } dd { (when(e.created_at)) }
            }
            h2 { "Data" }
            pre { code { (pretty(&e.data)) } }
            h2 { "Deliveries" }
            section id="live" data-live aria-live="polite" {
                (deliveries_table(&detail.deliveries))
            }
        },
    ))
}
