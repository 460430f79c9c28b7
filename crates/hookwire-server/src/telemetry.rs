//! What a `serve` process tells the outside about itself besides metrics: its
//! log lines and, when a collector is configured, its traces over OTLP.
//!
//! Traces are exported when `otel_endpoint` is set or the standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is
//! (the exporter also reads the other standard `OTEL_EXPORTER_OTLP_*` and
//! `OTEL_BSP_*` variables, and `OTEL_SERVICE_NAME`, default `hookwire`).
//! Then three kinds of span are exported: each API request (continuing the
//! caller's `traceparent`; see [`crate::http::trace`]), each publish's
//! fan-out, and each delivery attempt, which continues the trace of the
//! publish that caused it (see [`hookwire::trace_context`]). Without a
//! collector, no OpenTelemetry layer is installed: the request span is not
//! created, no `traceparent` is stored, and the engine's spans cost what
//! they cost for the log.
//!
//! This module owns the process's `tracing` subscriber; it does not create
//! spans.

use anyhow::Context as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::Layer as _;

use crate::config::{Config, LogFormat};

/// The standard variables that turn trace export on without `otel_endpoint`.
const STANDARD_ENDPOINTS: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
];

/// Whether `config` (or the environment) asks for traces to be exported.
pub fn exports_traces(config: &Config) -> bool {
    config.otel_endpoint.is_some()
        || STANDARD_ENDPOINTS
            .iter()
            .any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
}

/// The installed subscriber's exporter, if any: flushed by [`Telemetry::shutdown`]
/// so the spans of the last seconds before a shutdown are not lost.
#[must_use = "call shutdown() before exiting, or the last spans are lost"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Export the spans still buffered and stop the exporter.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            if let Err(e) = provider.shutdown() {
                tracing::warn!("could not flush the last traces: {e}");
            }
        }
    }
}

/// Install the process's subscriber: log lines (`RUST_LOG` sets levels;
/// colours only on a terminal, so a file or a log collector gets plain text)
/// and, if [`exports_traces`], the OTLP exporter. Fails only on an exporter
/// that cannot be built (e.g. a malformed endpoint).
pub fn init(config: &Config) -> anyhow::Result<Telemetry> {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let log = tracing_subscriber::fmt::layer().with_ansi(std::io::stdout().is_terminal());
    let log = match config.log_format {
        LogFormat::Json => log.json().boxed(),
        LogFormat::Text => log.boxed(),
    };
    let provider = exports_traces(config)
        .then(|| tracer_provider(config.otel_endpoint.as_deref()))
        .transpose()?;
    // Already installed (a test, or `demo` after a failed start): keep that one.
    let _ = match &provider {
        // hookwire's own spans, whatever RUST_LOG says: it sets what is
        // logged, not what is traced. So each layer has its own filter.
        Some(provider) => {
            let traces = tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("hookwire"))
                .with_filter(Targets::new().with_target("hookwire", Level::INFO));
            tracing_subscriber::registry()
                .with(log.with_filter(filter))
                .with(traces)
                .try_init()
        }
        // The log alone, filtered globally: spans RUST_LOG turns off are
        // never created.
        None => tracing_subscriber::registry()
            .with(log)
            .with(filter)
            .try_init(),
    };
    Ok(Telemetry { provider })
}

/// The OTLP/HTTP exporter behind a batching processor (its own thread; a
/// slow collector never holds up a request or an attempt), and the W3C
/// trace-context propagator the request spans and the engine read and write
/// `traceparent` with.
fn tracer_provider(endpoint: Option<&str>) -> anyhow::Result<SdkTracerProvider> {
    let mut exporter = opentelemetry_otlp::SpanExporter::builder().with_http();
    if let Some(base) = endpoint {
        exporter = exporter.with_endpoint(format!("{}/v1/traces", base.trim_end_matches('/')));
    }
    let exporter = exporter.build().context("otel_endpoint")?;
    let mut resource = Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name("hookwire");
    }
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    opentelemetry::global::set_tracer_provider(provider.clone());
    Ok(provider)
}
