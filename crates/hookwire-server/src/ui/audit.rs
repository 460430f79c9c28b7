//! The audit log page: who changed what, when. The admin sees every tenant's
//! entries; anyone else (a key's or portal session) their own tenant's.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;
use hookwire::model::{ActorType, AuditAction, AuditFilter};
use hookwire::page::PageRequest;
use maud::{html, Markup};
use serde::Deserialize;

use super::error::UiError;
use super::layout::{self, Nav};
use super::viewer::Session;
use super::when;
use crate::http::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/audit-log", get(list))
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    action: String,
    cursor: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<ListQuery>,
) -> Result<Markup, UiError> {
    let tenant_id = if session.admin {
        None
    } else {
        Some(session.tenant.clone().ok_or(UiError::SignIn)?.into())
    };
    let filter = AuditFilter {
        tenant_id,
        action: AuditAction::parse(q.action.trim()),
        since: None,
    };
    let page = state
        .hookwire
        .audit_log(&filter, &PageRequest::parse(Some(50), q.cursor.as_deref())?)
        .await?;
    let next = page.next_cursor.as_ref().map(|c| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("action", &q.action)
            .append_pair("cursor", c)
            .finish()
    });
    Ok(layout::page(
        "Audit log",
        Nav::AuditLog,
        &session,
        html! {
            h1 { "Audit log" }
            p class="muted" {
                @if session.admin { "Every change to every tenant, newest first." }
                @else { "Every change to this tenant, newest first." }
            }
            form method="get" action="/ui/audit-log" class="actions card" role="search" {
                div {
                    label for="action" { "Action" }
                    select id="action" name="action" {
                        option value="" { "any" }
                        @for a in AuditAction::ALL {
                            option value=(a.as_str()) selected[filter.action == Some(a)] { (a.as_str()) }
                        }
                    }
                }
                button type="submit" { "Filter" }
            }
            @if page.items.is_empty() { p class="muted" { "No changes recorded." } } @else {
                div class="table-wrap" {
                    table {
                        thead { tr { th { "When" } th { "Who" } th { "Action" } th { "Object" } @if session.admin { th class="hide-narrow" { "Tenant" } } } }
                        tbody {
                            @for e in &page.items {
                                tr {
                                    td { (when(e.at)) }
                                    td {
                                        @match e.actor.kind {
                                            ActorType::Admin => "admin",
                                            ActorType::ApiKey => { "key " code { (e.actor.id.as_deref().unwrap_or("")) } },
                                            ActorType::Portal => { "portal " code { (e.actor.id.as_deref().unwrap_or("")) } },
                                        }
                                    }
                                    td { code { (e.action.as_str()) } }
                                    td { code { (e.target_id.as_deref().unwrap_or("—")) } }
                                    @if session.admin { td class="hide-narrow" { code { (e.tenant_id.as_deref().unwrap_or("—")) } } }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(next) = next {
                p class="pager" { a href={ "/ui/audit-log?" (next) } { "Next page →" } }
            }
        },
    ))
}
