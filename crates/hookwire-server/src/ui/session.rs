//! Signing in and out, portal links, who the caller is, and the same-origin
//! check on forms.
//!
//! Signing in with the admin token or a tenant's API key makes a server-side
//! session ([`DashboardSession`](hookwire::model::DashboardSession), stored
//! hashed, expiring, ended by signing out or by revoking the key); the browser
//! holds only that session's opaque token, never the key, in an `HttpOnly`,
//! `SameSite=Strict` cookie scoped to `/ui`: scripts cannot read it, other sites
//! cannot send it, and every node checks it against the database. A portal link
//! (`/ui/portal/{token}`, made by the API) puts its session's token in the same
//! cookie. Behind a proxy that terminates TLS (it says so in
//! `X-Forwarded-Proto` or `Forwarded`) the cookie is also `Secure`, so a browser
//! never sends it over plain HTTP. When `portal_frame_ancestors` lets other
//! sites embed the portal, a portal session's cookie is `SameSite=None; Secure;
//! Partitioned` instead, the one form a browser sends inside another site's
//! iframe. The admin picks a tenant, kept in a second cookie.

use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use hookwire::model::{Actor, ApiKey, Scope, SessionKind};
use hookwire::secret::TokenHash;
use hookwire::TenantId;
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
        .route("/portal/{token}", get(open_portal))
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
        let found = state
            .hookwire
            .dashboard_session(token)
            .await?
            .ok_or(UiError::SignIn)?;
        let changes = !matches!(parts.method, Method::GET | Method::HEAD);
        if found.read_only && changes && parts.uri.path() != "/logout" {
            return Err(UiError::Forbidden(
                "this portal link is read-only: it shows everything and changes nothing",
            ));
        }
        let (admin, tenant_id) = match (found.kind, found.tenant_id) {
            // A tenant deleted since it was picked is simply no longer picked.
            (SessionKind::Admin, _) => (
                true,
                jar.get(TENANT_COOKIE).map(|c| TenantId::from(c.value())),
            ),
            (_, Some(tenant)) => (false, Some(tenant)),
            (_, None) => return Err(UiError::SignIn),
        };
        let tenant = match tenant_id {
            Some(id) => match state.hookwire.tenant(&id).await {
                Ok(t) => Some(t),
                Err(hookwire::Error::NotFound(_)) if admin => None,
                // The session's own tenant is gone: sign in again.
                Err(hookwire::Error::NotFound(_)) => return Err(UiError::SignIn),
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let actor = match (found.kind, found.key_id) {
            (SessionKind::Admin, _) => Actor::admin(),
            (SessionKind::ApiKey, Some(key_id)) => Actor::api_key(key_id),
            _ => Actor::portal(found.id),
        };
        Ok(Session {
            admin,
            tenant_name: tenant.as_ref().map(|t| t.name.clone()),
            tenant: tenant.map(|t| t.id),
            read_only: found.read_only,
            actor,
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

/// What an expired, unknown or signed-out portal link shows.
const LINK_EXPIRED: &str =
    "This link has expired. Ask for a new one where you found it, or sign in below.";

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
    let key = if admin {
        None
    } else {
        match state.hookwire.authenticate(token).await? {
            Some(key) if opens_the_dashboard(&key) => Some(key),
            found => {
                let refusal = match found {
                    Some(_) => "That API key lacks the read and manage scopes the dashboard needs.",
                    None => "That token is not a valid API key or admin token.",
                };
                let page = login_form(Some(refusal));
                return Ok((StatusCode::UNAUTHORIZED, page).into_response());
            }
        }
    };
    let (_, session_token) = match key {
        None => state.hookwire.start_admin_session().await?,
        Some(key) => state.hookwire.start_key_session(&key).await?,
    };
    let secure = over_https(&headers);
    let jar = jar
        .add(cookie(TOKEN_COOKIE, session_token, secure))
        .remove(cookie(TENANT_COOKIE, String::new(), secure));
    let to = if admin { "/ui/tenants" } else { "/ui/webhooks" };
    Ok((jar, Redirect::to(to)).into_response())
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Response, UiError> {
    if let Some(token) = jar.get(TOKEN_COOKIE) {
        state.hookwire.end_dashboard_session(token.value()).await?;
    }
    let secure = over_https(&headers);
    let jar = jar
        .remove(cookie(TOKEN_COOKIE, String::new(), secure))
        .remove(cookie(TENANT_COOKIE, String::new(), secure));
    Ok((jar, Redirect::to("/ui/login")).into_response())
}

/// A portal link: its session's token becomes the browser's cookie, and the
/// browser moves on to a URL without it (out of the address bar and history).
/// An expired or unknown link shows the sign-in page saying so.
async fn open_portal(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Response, UiError> {
    let live = state.hookwire.dashboard_session(&token).await?;
    if !live.is_some_and(|s| s.kind == SessionKind::Portal) {
        let page = login_form(Some(LINK_EXPIRED));
        return Ok((StatusCode::UNAUTHORIZED, page).into_response());
    }
    let cookie = if state.portal.frame_ancestors.is_empty() {
        cookie(TOKEN_COOKIE, token, over_https(&headers))
    } else {
        // Framed by another site: the only cookie a browser sends in there.
        let mut framed = cookie(TOKEN_COOKIE, token, true);
        framed.set_same_site(SameSite::None);
        framed.set_partitioned(true);
        framed
    };
    let jar = jar.add(cookie).remove(self::cookie(
        TENANT_COOKIE,
        String::new(),
        over_https(&headers),
    ));
    Ok((jar, Redirect::to("/ui/webhooks")).into_response())
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
