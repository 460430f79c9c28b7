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
//! - [`admin_token`]: the configured or generated admin token.
//! - `main.rs`: the CLI (`hookwire serve`, …).

pub mod admin_token;
pub mod app;
pub mod config;
pub mod http;
