//! Signing in and out, who the caller is, and the same-origin check on forms.
//!
//! The session is the token itself (a tenant API key or the admin token) in an
//! `HttpOnly`, `SameSite=Strict` cookie scoped to `/ui`: scripts cannot read it,
//! other sites cannot send it, and every node can check it against the database
//! without shared session state. Behind a proxy that terminates TLS (it says so
//! in `X-Forwarded-Proto` or `Forwarded`) the cookie is also `Secure`, so a
//! browser never sends it over plain HTTP; on plain HTTP it cannot be (a
//! browser would drop it), which is what `listen` on a private address is for. The admin picks a tenant, kept in a second cookie.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use hookwire::model::{ApiKey, Scope};
use hookwire::secret::TokenHash;
use maud::html;
use serde::Deserialize;

use super::error::UiError;
use super::layout;
use super::viewer::{Session, TenantSession};
use crate::http::state::AppState;

/// Holds the caller's token.
const TOKEN_COOKIE: &str = "hookwire_session";
/// Holds the tenant the admin is looking at.
pub(super) const TENANT_COOKIE: &str = "hookwire_tenant";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

/// A cookie scoped to the dashboard that scripts cannot read; `Secure` when
/// the request came over HTTPS (see [`over_https`]).
pub(super) fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/ui")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build()
}

/// Whether the browser's request came over HTTPS, as the proxy in front (which
/// terminates TLS: hookwire itself serves plain HTTP) reports it. A client that
/// claims so falsely only gets a cookie its browser will not send back.
pub(super) fn over_https(headers: &HeaderMap) -> bool {
    let forwarded_proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    let forwarded = headers
        .get(header::FORWARDED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|first| {
            first.split(';').any(|pair| {
                pair.trim().split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("proto")
                        && v.trim().trim_matches('"').eq_ignore_ascii_case("https")
                })
            })
        });
    forwarded_proto || forwarded
}

impl FromRequestParts<AppState> for Session {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, UiError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar.get(TOKEN_COOKIE).ok_or(UiError::SignIn)?.value();
        if state.admin_token.matches(&TokenHash::of(token)) {
            let tenant = match jar.get(TENANT_COOKIE) {
                // A tenant deleted since it was picked is simply no longer picked.
                Some(c) => state.hookwire.tenant(c.value()).await.ok(),
                None => None,
            };
            return Ok(Session {
                admin: true,
                tenant_name: tenant.as_ref().map(|t| t.name.clone()),
                tenant: tenant.map(|t| t.id),
            });
        }
        let key = state
            .hookwire
            .authenticate(token)
            .await?
            .filter(opens_the_dashboard)
            .ok_or(UiError::SignIn)?;
        // Deleted since the key was confirmed (the key cache may lag): sign in again.
        let tenant = match state.hookwire.tenant(&key.tenant_id).await {
            Err(hookwire::Error::NotFound(_)) => return Err(UiError::SignIn),
            other => other?,
        };
        Ok(Session {
            admin: false,
            tenant: Some(tenant.id),
            tenant_name: Some(tenant.name),
        })
    }
}

/// Whether a tenant key may sign in to the dashboard: it shows everything
/// (`read`) and changes webhooks (`manage`), so a key needs both; a key made
/// for publishing only cannot be used to reach more.
fn opens_the_dashboard(key: &ApiKey) -> bool {
    key.allows(Scope::Read) && key.allows(Scope::Manage)
}

impl FromRequestParts<AppState> for TenantSession {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, UiError> {
        let session = Session::from_request_parts(parts, state).await?;
        let tenant_id = session.tenant.clone().ok_or(UiError::ChooseTenant)?;
        Ok(TenantSession { session, tenant_id })
    }
}

async fn login_page() -> maud::Markup {
    login_form(None)
}

fn login_form(error: Option<&str>) -> maud::Markup {
    layout::bare(
        "Sign in",
        html! {
            h1 { "Sign in to hookwire" }
            @if let Some(e) = error { p class="error" role="alert" { (e) } }
            form method="post" action="/ui/login" class="card" {
                label for="token" { "API key or admin token" }
                input id="token" name="token" type="password" autocomplete="current-password" required autofocus;
                button type="submit" { "Sign in" }
            }
            p class="muted" {
                "A tenant API key shows that tenant's webhooks; the admin token lets you pick a tenant."
            }
        },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, UiError> {
    let token = form.token.trim();
    let admin = state.admin_token.matches(&TokenHash::of(token));
    if !admin {
        let refusal = match state.hookwire.authenticate(token).await? {
            None => Some("That token is not a valid API key or admin token."),
            Some(key) if !opens_the_dashboard(&key) => {
                Some("That API key lacks the read and manage scopes the dashboard needs.")
            }
            Some(_) => None,
        };
        if let Some(refusal) = refusal {
            let page = login_form(Some(refusal));
            return Ok((StatusCode::UNAUTHORIZED, page).into_response());
        }
    }
    let secure = over_https(&headers);
    let jar = jar
        .add(cookie(TOKEN_COOKIE, token.to_owned(), secure))
        .remove(cookie(TENANT_COOKIE, String::new(), secure));
    let to = if admin { "/ui/tenants" } else { "/ui/webhooks" };
    Ok((jar, Redirect::to(to)).into_response())
}

async fn logout(headers: HeaderMap, jar: CookieJar) -> impl IntoResponse {
    let secure = over_https(&headers);
    let jar = jar
        .remove(cookie(TOKEN_COOKIE, String::new(), secure))
        .remove(cookie(TENANT_COOKIE, String::new(), secure));
    (jar, Redirect::to("/ui/login"))
}

/// Refuse state-changing requests that another site started. `SameSite=Strict`
/// already keeps the cookie off them; this is the second lock: the browser's
/// `Sec-Fetch-Site`, or else `Origin`, must name this site.
pub(super) async fn same_origin(request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let cross = match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => !matches!(site, "same-origin" | "none"),
        None => match (
            headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
            headers.get(header::HOST).and_then(|v| v.to_str().ok()),
        ) {
            (Some(origin), Some(host)) => origin.split_once("://").map(|(_, h)| h) != Some(host),
            (Some(_), None) => true,
            (None, _) => false,
        },
    };
    if cross {
        return UiError::Forbidden("cross-site form submissions are refused").into_response();
    }
    next.run(request).await
}
