//! Request extractors whose rejections are [`ApiError`]s, so a malformed body or
//! query string gets the same `{error, message}` shape as everything else.

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::http::state::AppState;

/// A JSON body: syntax errors are 400 `malformed_json`, wrong types or unknown
/// fields 422 `invalid_field`, oversized bodies 413.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let limit = state.max_body_bytes;
        if !json_content_type(req.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = match Bytes::from_request(req, state).await {
            Ok(bytes) => bytes,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::PayloadTooLarge(limit))
            }
            Err(other) => return Err(ApiError::BadRequest("malformed_body", other.body_text())),
        };
        // Every body of this API is an object. serde would also read a struct
        // from an array of its fields in order (`[null, true]`); refuse that.
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{')
            && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok()
        {
            return Err(ApiError::Invalid(hookwire::ValidationError::field(
                "body",
                "expected a JSON object",
            )));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(JsonRejection::JsonDataError(e)) => {
                let (field, message) = split_serde_message(&e.body_text());
                Err(ApiError::Invalid(hookwire::ValidationError::field(
                    field, message,
                )))
            }
            Err(JsonRejection::JsonSyntaxError(e)) => {
                Err(ApiError::BadRequest("malformed_json", e.body_text()))
            }
            Err(other) => Err(ApiError::BadRequest("malformed_body", other.body_text())),
        }
    }
}

/// `application/json` or a `+json` type, as axum's `Json` requires.
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence
        .strip_prefix("application/")
        .is_some_and(|sub| sub == "json" || sub.ends_with("+json"))
}

/// axum reports data errors as "Failed to deserialize …: <path>: <reason>"; split
/// out the path so the error body can name the field.
fn split_serde_message(text: &str) -> (String, String) {
    let detail = text
        .split_once("body into the target type: ")
        .map_or(text, |(_, d)| d);
    let (path, reason) = match detail.split_once(": ") {
        Some((path, reason)) if !path.contains(' ') => (path, reason),
        _ => (".", detail),
    };
    // "missing field `url`" is reported at the parent's path; name the field itself.
    let missing = reason
        .strip_prefix("missing field `")
        .and_then(|r| r.split_once('`'))
        .map(|(name, _)| name);
    let field = match (path, missing) {
        (".", Some(name)) => name.to_owned(),
        (parent, Some(name)) => format!("{parent}.{name}"),
        (".", None) => "body".to_owned(),
        (path, None) => path.to_owned(),
    };
    (field, without_type_names(reason))
}

/// serde names the Rust type a body should have been ("invalid length 0, expected
/// struct WebhookDraft with 11 elements"); a client knows it as a JSON object.
fn without_type_names(reason: &str) -> String {
    match reason.find("expected struct ") {
        Some(_) if reason.starts_with("invalid length") => {
            "expected a JSON object, not an array".to_owned()
        }
        Some(at) => format!("{}expected a JSON object", &reason[..at]),
        None => reason.to_owned(),
    }
}

/// An optional JSON body: absent when the request has neither a body nor a
/// content type.
impl<T: DeserializeOwned> OptionalFromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Option<Self>, ApiError> {
        let empty = req.headers().get(CONTENT_TYPE).is_none()
            && req
                .headers()
                .get(CONTENT_LENGTH)
                .is_none_or(|l| l.as_bytes() == b"0");
        if empty {
            return Ok(None);
        }
        <Self as FromRequest<AppState>>::from_request(req, state)
            .await
            .map(Some)
    }
}

/// A query string: a value that does not parse is 422 `invalid_field` naming the
/// parameter, like a bad body field.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        // No stored name or text holds a NUL (PostgreSQL text cannot), so a
        // filter with one matches nothing: say which parameter is wrong.
        if let Some((key, _)) =
            form_urlencoded::parse(query.as_bytes()).find(|(_, v)| v.contains('\0'))
        {
            return Err(ApiError::Invalid(hookwire::ValidationError::field(
                key.into_owned(),
                "must not contain NUL characters",
            )));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(Self).map_err(|e| {
            let field = match e.path().to_string() {
                p if p == "." => "query".to_owned(),
                p => p,
            };
            ApiError::Invalid(hookwire::ValidationError::field(
                field,
                e.into_inner().to_string(),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_field_path_is_taken_from_serde_messages() {
        let msg = "Failed to deserialize the JSON body into the target type: retry.max_attempts: invalid type";
        assert_eq!(
            super::split_serde_message(msg),
            ("retry.max_attempts".into(), "invalid type".into())
        );
        assert_eq!(
            super::split_serde_message("missing field `url` at line 1").0,
            "url"
        );
        assert_eq!(super::split_serde_message("expected value").0, "body");
        assert_eq!(
            super::split_serde_message(
                "invalid length 0, expected struct WebhookDraft with 11 elements"
            ),
            ("body".into(), "expected a JSON object, not an array".into())
        );
        assert_eq!(
            super::split_serde_message("invalid type: integer `3`, expected struct RetryDraft").1,
            "invalid type: integer `3`, expected a JSON object"
        );
    }
}
