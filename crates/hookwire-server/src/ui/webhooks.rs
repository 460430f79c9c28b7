//! The webhook list with each one's health, and the page that creates one
//! (the form itself is `webhook_form.rs`).

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use hookwire::model::{AuditAction, Webhook};
use hookwire::page::PageRequest;
use hookwire::store::WebhookFilter;
use hookwire::WebhookId;
use maud::{html, Markup};
use serde::Deserialize;

use super::error::UiError;
use super::layout::{self, Nav};
use super::viewer::TenantSession;
use super::webhook_form::WebhookForm;
use super::{rate, when_opt};
use crate::http::state::AppState;

/// The window of the list's success rates.
const WINDOW: Duration = Duration::from_secs(24 * 3600);

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/webhooks", get(list).post(create))
}

#[derive(Deserialize)]
struct ListQuery {
    cursor: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    ts: TenantSession,
    Query(q): Query<ListQuery>,
) -> Result<Markup, UiError> {
    let form = WebhookForm {
        events: "*".into(),
        ..WebhookForm::default()
    };
    render(&state, &ts, q.cursor.as_deref(), &form, None).await
}

async fn create(
    State(state): State<AppState>,
    ts: TenantSession,
    Form(form): Form<WebhookForm>,
) -> Result<Response, UiError> {
    let result = match form.draft() {
        Ok(draft) => state.hookwire.create_webhook(&ts.tenant_id, draft).await,
        Err(invalid) => Err(hookwire::Error::Invalid(invalid)),
    };
    match result {
        Ok(webhook) => {
            ts.audit(&state, AuditAction::WebhookCreate, &webhook.id)
                .await;
            Ok(created(&ts, &webhook).into_response())
        }
        Err(hookwire::Error::Invalid(v)) => {
            let message = format!("{}: {}", v.field, v.message);
            let page = render(&state, &ts, None, &form, Some(&message)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn created(ts: &TenantSession, webhook: &Webhook) -> Markup {
    layout::page(
        "Webhook created",
        Nav::Webhooks,
        &ts.session,
        html! {
            h1 { "Webhook created" }
            div class="notice" role="status" {
                p { "Its signing secret — copy it now, it is not shown again:" }
                p { code class="secret" data-testid="secret" { (webhook.secret.expose()) } }
            }
            p { a href={ "/ui/webhooks/" (webhook.id) } { "Go to the webhook" } }
        },
    )
}

async fn render(
    state: &AppState,
    ts: &TenantSession,
    cursor: Option<&str>,
    form: &WebhookForm,
    error: Option<&str>,
) -> Result<Markup, UiError> {
    let page = state
        .hookwire
        .list_webhooks(
            &ts.tenant_id,
            &WebhookFilter::default(),
            &PageRequest::parse(Some(50), cursor)?,
        )
        .await?;
    let counts = state.hookwire.webhook_counts(&page.items, WINDOW).await?;
    let ids: Vec<WebhookId> = page.items.iter().map(|w| w.id.clone()).collect();
    let circuits = state.hookwire.circuits(&ids).await?;
    let rows: Vec<_> = page.items.iter().zip(counts).collect();
    Ok(layout::page(
        "Webhooks",
        Nav::Webhooks,
        &ts.session,
        html! {
            h1 { "Webhooks" }
            @if rows.is_empty() {
                p class="muted" { "No webhooks yet. Create one below." }
            } @else {
                div class="table-wrap" {
                    table {
                        thead { tr {
                            th { "Endpoint" } th { "Status" } th { "Events" }
                            th { "Success (24 h)" } th class="hide-narrow" { "Last delivery" }
                        } }
                        tbody {
                            @for (w, stats) in &rows {
                                tr {
                                    td class="url" {
                                        a href={ "/ui/webhooks/" (w.id) } { (w.name.as_deref().unwrap_or(&w.url)) }
                                        @if w.name.is_some() { br; small class="muted" { (w.url) } }
                                    }
                                    td { (active_badge(w)) " " (circuit_badge(circuits.get(&w.id))) }
                                    td class="wrap" { (w.events.join(", ")) }
                                    td { (rate(hookwire::service::success_rate(stats.delivered, stats.total))) }
                                    td class="hide-narrow" { (when_opt(stats.last_delivery_at)) }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(next) = &page.next_cursor {
                p class="pager" { a href={ "/ui/webhooks?cursor=" (next) } { "Next page →" } }
            }
            @if !ts.session.read_only {
                h2 id="new" { "New webhook" }
                form method="post" action="/ui/webhooks" class="card" {
                    @if let Some(e) = error { p class="error" role="alert" { (e) } }
                    (form.fields())
                    button type="submit" { "Create webhook" }
                }
            }
        },
    ))
}

/// A webhook's circuit when it is not closed: open (its deliveries wait)
/// or half-open (the next one is a probe), with the times in its title.
pub(super) fn circuit_badge(circuit: Option<&hookwire::model::Circuit>) -> Markup {
    use hookwire::model::CircuitState;
    let Some(c) = circuit else {
        return html! {};
    };
    let at = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_default()
    };
    let title = format!(
        "open since {}; next probe at {}",
        at(c.opened_at),
        at(c.next_probe_at)
    );
    match c.state(hookwire::clock::now()) {
        CircuitState::Closed => html! {},
        CircuitState::Open => {
            html! { span class="badge circuit-open" data-testid="circuit" title=(title) { "circuit open" } }
        }
        CircuitState::HalfOpen => {
            html! { span class="badge circuit-open" data-testid="circuit" title=(title) { "circuit half-open" } }
        }
    }
}

/// Active, or disabled with the reason in its title.
pub(super) fn active_badge(w: &Webhook) -> Markup {
    if w.is_active {
        html! { span class="badge active" { "active" } }
    } else {
        html! { span class="badge disabled" title=[w.disabled_reason.as_deref()] { "disabled" } }
    }
}
