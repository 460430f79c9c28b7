//! The audit log: `GET /audit-log` — the admin sees every entry, a tenant key
//! (with `read`) its own tenant's. Entries are written by the handlers that
//! make changes (through [`Who`](super::auth::Who)), never here.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use hookwire::model::{Actor, AuditAction, AuditEntry, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::ApiQuery;
use super::list::{List, PageQuery};
use crate::http::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(audit_log))
}

/// One change: who did what to which object, when. Never a secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    /// `aud_…`
    pub id: String,
    /// When it was done.
    pub at: DateTime<Utc>,
    /// Who did it: `{type: admin|api_key|portal, id}` (the key's or portal
    /// session's id; null for the admin).
    pub actor: Actor,
    /// What was done, e.g. `webhook.update`.
    pub action: AuditAction,
    /// The tenant it concerns.
    pub tenant_id: Option<String>,
    /// The object it concerns (tenant, key, webhook, event, delivery or
    /// portal session id).
    pub target_id: Option<String>,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            tenant_id: e.tenant_id,
            target_id: e.target_id,
        }
    }
}

/// Filters of `GET /audit-log`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this action (`tenant.create`, `webhook.update`, …).
    pub action: Option<String>,
    /// Only entries at or after this time (RFC 3339).
    #[serde(default, deserialize_with = "super::parse::rfc3339_opt")]
    pub since: Option<DateTime<Utc>>,
    /// Items per page, 1–250 (default 50).
    #[serde(default, deserialize_with = "super::parse::limit_opt")]
    #[param(minimum = 1, maximum = 250)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// Who changed what, newest first: every tenant's entries for the admin, its
/// own for a tenant key (needs `read`).
#[utoipa::path(get, path = "/audit-log", tag = "audit", params(AuditQuery),
    responses((status = 200, body = List<AuditEntryView>),
              (status = 400, body = ErrorBody, description = "`invalid_cursor`"),
              (status = 422, body = ErrorBody, description = "an unknown action or a query parameter of the wrong form; `field` names it")))]
async fn audit_log(
    caller: Caller,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<List<AuditEntryView>>, ApiError> {
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    let action = match q.action.as_deref() {
        None => None,
        Some(name) => Some(AuditAction::parse(name).ok_or_else(|| {
            let known: Vec<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
            hookwire::Error::from(hookwire::ValidationError::field(
                "action",
                format!("must be one of {}", known.join(", ")),
            ))
        })?),
    };
    let filter = AuditFilter {
        tenant_id: match caller {
            Caller::Admin => None,
            Caller::Tenant { tenant_id, .. } => Some(tenant_id.into()),
        },
        action,
        since: q.since,
    };
    let entries = s.hookwire.audit_log(&filter, &page).await?;
    Ok(Json(List::of(entries, AuditEntryView::from)))
}
