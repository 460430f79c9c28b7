//! [`ApiError`]: the one error type of the HTTP layer.
//!
//! Every failure becomes `{"error": "<snake_code>", "message": "…"}` with a fitting
//! status. Internal failures are logged with their detail and shown to clients
//! only as `internal_error`, so database errors never leak.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// The error body of every non-2xx response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Machine-readable code, e.g. `invalid_field`, `not_found`.
    pub error: String,
    /// What went wrong, for a human.
    pub message: String,
    /// The offending request field, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No or an unknown bearer token.
    #[error("missing or invalid bearer token")]
    Unauthorized,
    /// A valid token that may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// A tenant key without the scope this request needs.
    #[error("this API key lacks the {} scope this request needs", .0.as_str())]
    InsufficientScope(hookwire::model::Scope),
    /// Not found, or another tenant's object.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Unparseable request (bad JSON syntax, bad query string, bad cursor).
    #[error("{1}")]
    BadRequest(&'static str, String),
    /// The path exists, the method does not.
    #[error("method not allowed on this path")]
    MethodNotAllowed,
    /// The body is over `max_body_bytes`.
    #[error("request body is larger than the {0}-byte limit")]
    PayloadTooLarge(usize),
    /// The body is not JSON.
    #[error("expected a JSON body with content-type: application/json")]
    UnsupportedMediaType,
    /// A field broke a rule.
    #[error(transparent)]
    Invalid(hookwire::ValidationError),
    /// The object already exists, or the request conflicts with an earlier one
    /// (the code says which).
    #[error("{1}")]
    Conflict(&'static str, String),
    /// Over the rate limit; retry after this many seconds.
    #[error("rate limit exceeded; retry in {0} s")]
    RateLimited(u64),
    /// The database is unreachable.
    #[error("the service is temporarily unavailable; retry shortly")]
    Unavailable,
    /// A bug or an unexpected failure (detail logged, not shown).
    #[error("internal error")]
    Internal(String),
}

impl From<hookwire::Error> for ApiError {
    fn from(e: hookwire::Error) -> Self {
        use hookwire::store::Error as StoreError;
        match e {
            hookwire::Error::Invalid(v) => ApiError::Invalid(v),
            hookwire::Error::InvalidCursor => ApiError::BadRequest("invalid_cursor", e.to_string()),
            hookwire::Error::NotFound(what) => ApiError::NotFound(what),
            hookwire::Error::Conflict(msg) => ApiError::Conflict("conflict", msg),
            hookwire::Error::IdempotencyKeyReused => {
                ApiError::Conflict("idempotency_key_reused", e.to_string())
            }
            hookwire::Error::Store(StoreError::Unavailable(err)) => {
                tracing::warn!(error = %err, "database unavailable");
                ApiError::Unavailable
            }
            hookwire::Error::Store(other) => ApiError::Internal(other.to_string()),
        }
    }
}

impl ApiError {
    pub(crate) fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::InsufficientScope(_) => (StatusCode::FORBIDDEN, "insufficient_scope"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::BadRequest(code, _) => (StatusCode::BAD_REQUEST, code),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::Invalid(v) => (StatusCode::UNPROCESSABLE_ENTITY, v.code),
            ApiError::Conflict(code, _) => (StatusCode::CONFLICT, code),
            ApiError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let body = ErrorBody {
            error: code.to_owned(),
            message: self.to_string(),
            field: match &self {
                ApiError::Invalid(v) => Some(v.field.clone()),
                _ => None,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::RateLimited(secs) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if matches!(self, ApiError::Unauthorized) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
