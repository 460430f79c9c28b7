//! The HTTP API, end to end: a real server on 127.0.0.1, a real database per test
//! (each test runs once on SQLite and once on PostgreSQL).

mod helpers;

mod attempt_records;
mod audit;
mod auth;
mod bad_input;
mod browser;
mod bulk_retry;
mod circuits;
mod client_certificates;
mod egress_proxy;
mod event_types;
mod faults;
mod filters;
mod health;
mod history;
mod isolation;
mod keys;
mod openapi;
mod operational;
mod operations;
mod ordering;
mod portal;
mod publishing;
mod rate_limit;
mod rate_limits;
mod receiver;
mod replay;
mod retries;
mod secrets_at_rest;
mod signatures;
mod tenants;
mod ui;
mod ui_filters;
mod ui_forms;
mod ui_ordering;
mod webhook_urls;
mod webhooks;
