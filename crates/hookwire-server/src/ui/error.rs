//! Failures of dashboard pages, shown as HTML.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::layout;
use crate::http::error::ApiError;

/// What a page can fail with.
#[derive(Debug)]
pub(super) enum UiError {
    /// No session, or its token no longer works: to the sign-in page.
    SignIn,
    /// The admin has not picked a tenant yet: to the tenant list.
    ChooseTenant,
    /// Allowed to sign in, not to do this.
    Forbidden(&'static str),
    /// Anything the engine or the API layer reports.
    Api(ApiError),
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Unauthorized => UiError::SignIn,
            other => UiError::Api(other),
        }
    }
}

impl From<hookwire::Error> for UiError {
    fn from(e: hookwire::Error) -> Self {
        UiError::from(ApiError::from(e))
    }
}

impl From<hookwire::page::PageError> for UiError {
    fn from(e: hookwire::page::PageError) -> Self {
        UiError::from(hookwire::Error::from(e))
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            UiError::SignIn => return Redirect::to("/ui/login").into_response(),
            UiError::ChooseTenant => return Redirect::to("/ui/tenants").into_response(),
            UiError::Forbidden(why) => (StatusCode::FORBIDDEN, why.to_owned()),
            UiError::Api(e) => {
                let (status, _) = e.status_and_code();
                if let ApiError::Internal(detail) = &e {
                    tracing::error!(%detail, "dashboard request failed");
                }
                (status, e.to_string())
            }
        };
        let page = layout::bare(
            "Error",
            html! {
                h1 { (status.canonical_reason().unwrap_or("Error")) }
                p class="error" role="alert" { (message) }
                p { a href="/ui/webhooks" { "Back to webhooks" } }
            },
        );
        (status, page).into_response()
    }
}
