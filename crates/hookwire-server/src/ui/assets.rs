//! The stylesheet and the one script, compiled into the binary.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::http::state::AppState;

const CSS: &str = include_str!("assets/app.css");
const JS: &str = include_str!("assets/app.js");

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/app.css", get(|| async { asset("text/css", CSS) }))
        .route(
            "/assets/app.js",
            get(|| async { asset("text/javascript", JS) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
}
