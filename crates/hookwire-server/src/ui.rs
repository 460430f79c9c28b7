//! The web dashboard at `/ui`.
//!
//! Server-rendered HTML (maud) over the same engine calls the API makes, plus one
//! small script (`assets/app.js`) that refreshes the parts of a page marked
//! `data-live`, so a retry is seen landing without a reload. Everything is compiled
//! into the binary: no build step, no CDN, and no state in the process — the
//! session lives in the database and the browser holds only its opaque token in
//! an `HttpOnly`, `SameSite=Strict` cookie, so any node can serve any page.
//!
//! One module per page family, each with `router()`: `session` (sign-in, portal
//! links, the caller, read-only sessions, same-origin checks), `tenants` (admin tenant switcher), `webhooks`
//! (list, create), `webhook_page` (a webhook and its chart), `webhook_actions`
//! (what its buttons do),
//! `deliveries` (a delivery's attempts, redeliver), `events`, `catalog`,
//! `audit` (the audit log), `retry` (retrying many failed deliveries).
//! `layout` draws the page shell, `chart` the SVG charts, `error` the error
//! pages.

mod assets;
mod attempt_error;
mod audit;
mod catalog;
mod chart;
mod deliveries;
mod error;
mod events;
mod filter_preview;
mod layout;
mod retry;
mod session;
mod tenants;
mod viewer;
mod webhook_actions;
mod webhook_form;
mod webhook_page;
mod webhooks;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, X_FRAME_OPTIONS};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{Redirect, Response};
use axum::routing::get;
use axum::{middleware, Router};
use chrono::{DateTime, SecondsFormat, Utc};
use hookwire::model::DeliveryStatus;
use maud::{html, Markup};

use crate::http::state::{AppState, PortalSettings};

/// The dashboard's routes, to be nested at `/ui`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui/webhooks") }))
        .merge(session::router())
        .merge(tenants::router())
        .merge(webhooks::router())
        .merge(filter_preview::router())
        .merge(webhook_page::router())
        .merge(webhook_actions::router())
        .merge(deliveries::router())
        .merge(events::router())
        .merge(catalog::router())
        .merge(audit::router())
        .merge(retry::router())
        .merge(assets::router())
        .layer(middleware::from_fn(session::same_origin))
}

/// Who may show the dashboard in a frame: by default no site (clickjacking
/// protection: CSP `frame-ancestors 'none'` and, for old browsers,
/// `X-Frame-Options: DENY`); with `portal_frame_ancestors`, those origins.
pub async fn frame_policy(
    State(portal): State<Arc<PortalSettings>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if portal.frame_ancestors.is_empty() {
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        );
        headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    } else {
        let policy = format!(
            "frame-ancestors 'self' {}",
            portal.frame_ancestors.join(" ")
        );
        // The origins were checked at start-up (config rules): always a valid header.
        if let Ok(value) = HeaderValue::from_str(&policy) {
            headers.insert(CONTENT_SECURITY_POLICY, value);
        }
    }
    response
}

/// A `datetime-local` input's value (`YYYY-MM-DDTHH:MM`, seconds optional),
/// read as UTC; a bad one is an error naming `field`.
fn form_time(field: &str, text: &str) -> Result<DateTime<Utc>, hookwire::Error> {
    let text = text.trim();
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .map(|t| t.and_utc())
        .map_err(|_| {
            hookwire::ValidationError::field(
                field,
                "expected a date and time like 2026-01-31T09:30",
            )
            .into()
        })
}

/// A time as UTC text in a `<time>` element.
fn when(t: DateTime<Utc>) -> Markup {
    html! {
        time datetime=(t.to_rfc3339_opts(SecondsFormat::Millis, true)) {
            (t.format("%Y-%m-%d %H:%M:%S UTC"))
        }
    }
}

/// [`when`], or a dash.
fn when_opt(t: Option<DateTime<Utc>>) -> Markup {
    match t {
        Some(t) => when(t),
        None => html! { "—" },
    }
}

/// A delivery status as a coloured badge (the word is always shown, so colour is
/// never the only signal).
fn status_badge(status: DeliveryStatus) -> Markup {
    html! { span class={ "badge " (status.as_str()) } { (status.as_str()) } }
}

/// A success rate in percent, or a dash without deliveries.
fn rate(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{r:.1} %"))
}
