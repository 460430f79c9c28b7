//! What the buttons on a webhook's page do: edit, enable/disable, test send,
//! secret rotation, recovery and deletion. Each answers with a redirect (so a
//! reload does not repeat it), except rotation, whose page shows the new secret
//! once and is never redirected to.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use chrono::Utc;
use hookwire::model::{AuditAction, WebhookPatch};
use hookwire::WebhookId;
use maud::html;
use serde::Deserialize;

use super::error::UiError;
use super::layout::{self, Nav};
use super::viewer::TenantSession;
use super::webhook_form::{parse_filter, parse_ordering, text, words, WebhookForm};
use super::webhook_page::{render, ShowQuery};
use crate::http::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks/{id}", post(edit))
        .route("/webhooks/{id}/enable", post(enable))
        .route("/webhooks/{id}/disable", post(disable))
        .route("/webhooks/{id}/test", post(test))
        .route("/webhooks/{id}/rotate", post(rotate))
        .route("/webhooks/{id}/recover", post(recover))
        .route("/webhooks/{id}/delete", post(delete))
}

fn back(id: &str) -> Redirect {
    Redirect::to(&format!("/ui/webhooks/{id}"))
}

/// Save the settings form.
pub(super) async fn edit(
    State(state): State<AppState>,
    ts: TenantSession,
    Path(id): Path<WebhookId>,
    Form(form): Form<WebhookForm>,
) -> Result<Response, UiError> {
    let parsed =
        parse_filter(&form.filter).and_then(|filter| Ok((filter, parse_ordering(&form.ordering)?)));
    let changed = match parsed {
        Ok((filter, ordering)) => {
            let patch = WebhookPatch {
                url: Some(form.url.trim().to_owned()),
                events: Some(words(&form.events)),
                name: Some(text(&form.name)),
                description: Some(text(&form.description)),
                channels: Some(words(&form.channels)),
                rate_limit_per_second: Some(form.rate_limit()),
                filter: Some(filter),
                ordering,
                client_certificate: form.client_certificate(),
                ..WebhookPatch::default()
            };
            state
                .hookwire
                .patch_webhook(&ts.tenant_id, &id, patch)
                .await
        }
        Err(invalid) => Err(hookwire::Error::Invalid(invalid)),
    };
    match changed {
        Ok(_) => {
            ts.audit(&state, AuditAction::WebhookUpdate, &id).await;
            Ok(back(&id).into_response())
        }
        Err(refused @ (hookwire::Error::Invalid(_) | hookwire::Error::Conflict(_))) => {
            let webhook = state.hookwire.webhook(&ts.tenant_id, &id).await?;
            let (status, message) = match refused {
                hookwire::Error::Invalid(v) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("{}: {}", v.field, v.message),
                ),
                other => (StatusCode::CONFLICT, other.to_string()),
            };
            let page = render(
                &state,
                &ts,
                &webhook,
                &ShowQuery::default(),
                &form,
                Some(&message),
            )
            .await?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_active(
    state: &AppState,
    ts: &TenantSession,
    id: &WebhookId,
    active: bool,
) -> Result<Redirect, UiError> {
    let patch = WebhookPatch {
        is_active: Some(active),
        ..WebhookPatch::default()
    };
    state
        .hookwire
        .patch_webhook(&ts.tenant_id, id, patch)
        .await?;
    ts.audit(state, AuditAction::WebhookUpdate, id).await;
    Ok(back(id))
}

async fn enable(
    State(state): State<AppState>,
    ts: TenantSession,
    Path(id): Path<WebhookId>,
) -> Result<Redirect, UiError> {
    set_active(&state, &ts, &id, true).await
}

async fn disable(
    State(state): State<AppState>,
    ts: TenantSession,
    Path(id): Path<WebhookId>,
) -> Result<Redirect, UiError> {
    set_active(&state, &ts, &id, false).await
}

/// Send a test event now and show its delivery.
async fn test(
    State(state): State<AppState>,
    ts: TenantSession,
    Path(id): Path<WebhookId>,
) -> Result<Redirect, UiError> {
    let sent = state.hookwire.test_webhook(&ts.tenant_id, &id).await?;
    Ok(Redirect::to(&format!(
        "/ui/deliveries/{}",
        sent.delivery.id
    )))
}

async fn rotate(
    State(state): State<AppState>,
    ts: TenantSession,
    Path(id): Path<WebhookId>,
) -> Result<Response, UiError> {
    let secret = state
        .hookwire
        .rotate_secret(&ts.tenant_id, &id, None)
        .await?;
    ts.audit(&state, AuditAction::WebhookRotateSecret, &id)
        .await;
    let page = layout::page(
        "Secret rotated",
        Nav::Webhooks,
        &ts.session,
        html! {
            h1 { "Secret rotated" }
            div class="notice" role="status" {
                p { "The new signing secret — copy it now, it is not shown again. The old one keeps signing alongside it for 24 hours." }
                p { code class="secret" data-testid="secret" { (secret.expose()) } }
            }
            p { a href={ "/ui/webhooks/" (id) } { "Back to the webhook" } }
        },
    );
    // Never cache a page that carries a secret.
    Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], page).into_response())
}

#[derive(Deserialize)]
struct RecoverForm {
    /// `YYYY-MM-DDTHH:MM` (a `datetime-local` input), read as UTC.
    since: String,
}

async fn recover(
    State(state): State<AppState>,
    ts: TenantSession,
    Path(id): Path<WebhookId>,
    Form(form): Form<RecoverForm>,
) -> Result<Redirect, UiError> {
    let since = super::form_time("since", &form.since)?.min(Utc::now());
    let n = state.hookwire.recover(&ts.tenant_id, &id, since).await?;
    ts.audit(&state, AuditAction::DeliveriesRetry, &id).await;
    Ok(Redirect::to(&format!("/ui/webhooks/{id}?recovered={n}")))
}

async fn delete(
    State(state): State<AppState>,
    ts: TenantSession,
    Path(id): Path<WebhookId>,
) -> Result<Redirect, UiError> {
    state.hookwire.delete_webhook(&ts.tenant_id, &id).await?;
    ts.audit(&state, AuditAction::WebhookDelete, &id).await;
    Ok(Redirect::to("/ui/webhooks"))
}
