//! The page shell: head, navigation, and the signed-in tenant.

use maud::{html, Markup, DOCTYPE};

use super::viewer::Session;

/// The sections in the navigation bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Nav {
    Webhooks,
    Events,
    EventTypes,
    AuditLog,
    Tenants,
}

/// A whole HTML document: the DOCTYPE first (anything before it puts browsers
/// in quirks mode), then the head every page shares, then `body`.
fn document(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · hookwire" }
                link rel="stylesheet" href="/ui/assets/app.css";
                script src="/ui/assets/app.js" defer {}
            }
            (body)
        }
    }
}

/// A page without navigation (sign-in, errors).
pub(super) fn bare(title: &str, content: Markup) -> Markup {
    document(
        title,
        html! {
            body {
                main id="main" class="narrow" { (content) }
            }
        },
    )
}

/// A dashboard page for a signed-in caller.
pub(super) fn page(title: &str, nav: Nav, session: &Session, content: Markup) -> Markup {
    let link = |to: Nav, href: &str, label: &str| {
        html! {
            li {
                a href=(href) aria-current=[(nav == to).then_some("page")] { (label) }
            }
        }
    };
    document(
        title,
        html! {
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" {
                    a class="brand" href="/ui/webhooks" { "hookwire" }
                    nav aria-label="Main" {
                        ul {
                            (link(Nav::Webhooks, "/ui/webhooks", "Webhooks"))
                            (link(Nav::Events, "/ui/events", "Events"))
                            (link(Nav::EventTypes, "/ui/event-types", "Event types"))
                            (link(Nav::AuditLog, "/ui/audit-log", "Audit log"))
                            @if session.admin { (link(Nav::Tenants, "/ui/tenants", "Tenants")) }
                        }
                    }
                    div class="who" {
                        @if let Some(name) = &session.tenant_name {
                            span class="muted" { "Tenant " strong { (name) } }
                        }
                        @if session.read_only {
                            span class="badge" data-testid="read-only" title="Shows everything, changes nothing" { "read-only" }
                        }
                        form method="post" action="/ui/logout" {
                            button type="submit" class="link" { "Sign out" }
                        }
                    }
                }
                main id="main" { (content) }
            }
        },
    )
}
