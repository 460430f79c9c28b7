//! The admin's tenant list: pick a tenant to look at, or create one.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use hookwire::model::AuditAction;
use hookwire::page::PageRequest;
use hookwire::TenantId;
use maud::{html, Markup};
use serde::Deserialize;

use super::error::UiError;
use super::layout::{self, Nav};
use super::session::{cookie, over_https, TENANT_COOKIE};
use super::viewer::Session;
use super::when;
use crate::http::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/tenants", get(list).post(create))
        .route("/tenants/select", post(select))
}

fn admin(session: &Session) -> Result<(), UiError> {
    if session.admin {
        Ok(())
    } else {
        Err(UiError::Forbidden("only the admin token manages tenants"))
    }
}

#[derive(Deserialize)]
struct ListQuery {
    cursor: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<ListQuery>,
) -> Result<Markup, UiError> {
    admin(&session)?;
    let page = state
        .hookwire
        .list_tenants(&PageRequest::parse(Some(50), q.cursor.as_deref())?)
        .await?;
    Ok(layout::page(
        "Tenants",
        Nav::Tenants,
        &session,
        html! {
            h1 { "Tenants" }
            @if session.tenant.is_none() {
                p class="notice" { "Pick a tenant to see its webhooks, events and deliveries." }
            }
            div class="table-wrap" {
                table {
                    thead { tr { th { "Name" } th { "Id" } th class="hide-narrow" { "Created" } th {} } }
                    tbody {
                        @for t in &page.items {
                            tr {
                                td { (t.name) }
                                td { code { (t.id) } }
                                td class="hide-narrow" { (when(t.created_at)) }
                                td {
                                    form method="post" action="/ui/tenants/select" class="inline" {
                                        input type="hidden" name="tenant_id" value=(t.id);
                                        button type="submit" class="secondary" {
                                            @if session.tenant.as_deref() == Some(t.id.as_str()) { "Viewing" } @else { "Open" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(next) = &page.next_cursor {
                p class="pager" { a href={ "/ui/tenants?cursor=" (next) } { "Next page →" } }
            }
            h2 { "New tenant" }
            form method="post" action="/ui/tenants" class="card" {
                label for="name" { "Name" }
                input id="name" name="name" required maxlength="200";
                button type="submit" { "Create tenant" }
            }
        },
    ))
}

#[derive(Deserialize)]
struct CreateForm {
    name: String,
}

async fn create(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<CreateForm>,
) -> Result<Markup, UiError> {
    admin(&session)?;
    let (tenant, key) = state.hookwire.create_tenant(form.name.trim()).await?;
    let id = Some(tenant.id.as_str());
    state
        .hookwire
        .audit(session.actor.clone(), AuditAction::TenantCreate, id, id)
        .await;
    Ok(layout::page(
        "Tenant created",
        Nav::Tenants,
        &session,
        html! {
            h1 { "Tenant " (tenant.name) " created" }
            div class="notice" role="status" {
                p { "Its API key — copy it now, it is not shown again:" }
                p { code class="secret" data-testid="api-key" { (key) } }
            }
            form method="post" action="/ui/tenants/select" {
                input type="hidden" name="tenant_id" value=(tenant.id);
                button type="submit" { "Open this tenant" }
            }
        },
    ))
}

#[derive(Deserialize)]
struct SelectForm {
    tenant_id: String,
}

async fn select(
    State(state): State<AppState>,
    session: Session,
    headers: axum::http::HeaderMap,
    jar: CookieJar,
    Form(form): Form<SelectForm>,
) -> Result<Response, UiError> {
    admin(&session)?;
    let tenant = state
        .hookwire
        .tenant(&TenantId::from(form.tenant_id.as_str()))
        .await?;
    let jar = jar.add(cookie(
        TENANT_COOKIE,
        tenant.id.into_string(),
        over_https(&headers),
    ));
    Ok((jar, Redirect::to("/ui/webhooks")).into_response())
}
