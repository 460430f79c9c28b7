//! The event-type catalog; the admin can add to it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use maud::{html, Markup};
use serde::Deserialize;

use super::error::UiError;
use super::layout::{self, Nav};
use super::viewer::Session;
use crate::http::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/event-types", get(list).post(create))
}

async fn list(State(state): State<AppState>, session: Session) -> Result<Markup, UiError> {
    render(&state, &session, None).await
}

async fn render(
    state: &AppState,
    session: &Session,
    error: Option<&str>,
) -> Result<Markup, UiError> {
    let types = state.hookwire.event_types().await?;
    Ok(layout::page(
        "Event types",
        Nav::EventTypes,
        session,
        html! {
            h1 { "Event types" }
            p class="muted" { "Events may only be published with a type from this catalog." }
            div class="table-wrap" {
                table {
                    thead { tr { th { "Name" } th { "Description" } } }
                    tbody {
                        @for t in &types {
                            tr { td { code { (t.name) } } td { (t.description) } }
                        }
                    }
                }
            }
            @if session.admin {
                h2 { "New event type" }
                form method="post" action="/ui/event-types" class="card" {
                    @if let Some(e) = error { p class="error" role="alert" { (e) } }
                    label for="name" { "Name" }
                    input id="name" name="name" required placeholder="order.paid";
                    label for="description" { "Description" }
                    input id="description" name="description";
                    button type="submit" { "Add" }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
struct NewType {
    name: String,
    #[serde(default)]
    description: String,
}

async fn create(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<NewType>,
) -> Result<Response, UiError> {
    if !session.admin {
        return Err(UiError::Forbidden("only the admin token adds event types"));
    }
    let result = state
        .hookwire
        .create_event_type(form.name.trim(), form.description.trim())
        .await;
    match result {
        Ok(_) => Ok(Redirect::to("/ui/event-types").into_response()),
        Err(e @ (hookwire::Error::Invalid(_) | hookwire::Error::Conflict(_))) => {
            let page = render(&state, &session, Some(&e.to_string())).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
