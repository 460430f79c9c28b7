//! `/event-types`: the global catalog.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use hookwire::model::EventType;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admin, Caller};
use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use crate::http::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_event_types, create_event_type))
}

/// The catalog, by name. `webhook.test` is always present.
#[utoipa::path(get, path = "/event-types", tag = "event-types",
    responses((status = 200, body = Vec<EventType>), (status = 401, body = ErrorBody)))]
async fn list_event_types(
    _: Caller,
    State(s): State<AppState>,
) -> Result<Json<Vec<EventType>>, ApiError> {
    Ok(Json(s.hookwire.event_types().await?))
}

/// Add an event type (admin). 409 if the name exists.
#[utoipa::path(post, path = "/event-types", tag = "event-types", request_body = EventType,
    responses((status = 201, body = EventType), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn create_event_type(
    _: Admin,
    State(s): State<AppState>,
    ApiJson(body): ApiJson<EventType>,
) -> Result<(StatusCode, Json<EventType>), ApiError> {
    let et = s
        .hookwire
        .create_event_type(&body.name, &body.description)
        .await?;
    Ok((StatusCode::CREATED, Json(et)))
}
