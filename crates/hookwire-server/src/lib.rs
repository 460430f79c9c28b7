//! # hookwire-server
//!
//! The `hookwire` binary: an HTTP API (axum) and command-line interface in front of
//! the [`hookwire`] engine.
//!
//! # Layout
//!
//! - [`config`]: `hookwire.toml`/`.yaml`, `HOOKWIRE_*` overrides, `${VAR}`.
//! - [`app`]: start-up, from a config to a router with its state.
//! - [`http`]: the API. One module per resource, each with `router()`; [`http::auth`]
//!   (admin token or tenant key), [`http::rate_limit`], [`http::error::ApiError`].
//! - [`ui`]: the web dashboard at `/ui` (server-rendered HTML, embedded assets).
//! - [`telemetry`]: log lines and, with a collector, OTLP traces.
//! - [`admin_token`]: the configured or generated admin token.
//! - [`cli`]: the `hookwire` commands (`serve`, `demo`, `listen`, `verify`, `send`,
//!   `replay`, `retry`, `webhooks`, `migrate`, `config check`); `main.rs` only
//!   calls it.

#![warn(missing_docs)]

pub mod admin_token;
pub mod app;
pub mod cli;
pub mod config;
pub mod http;
pub mod telemetry;
pub mod ui;
