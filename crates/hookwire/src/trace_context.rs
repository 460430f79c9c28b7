//! Which trace a delivery belongs to: the W3C `traceparent` of the publish
//! that caused it, taken from the caller's span when the event is accepted and
//! given back to each attempt's span as its parent.
//!
//! The text is stored with the event (`events.traceparent`), not kept in
//! memory, because an attempt may run on another node or an hour later, after
//! a restart, and must still join the publish's trace.
//!
//! This module owns the conversion between a span and that text; it does not
//! create spans (the pipeline and the attempt do) and does not export
//! anything (an application installs `tracing-opentelemetry` and an exporter,
//! as `hookwire serve` does when `otel_endpoint` is set). Without the cargo
//! feature `opentelemetry`, or without an OpenTelemetry layer and text-map
//! propagator installed, nothing is read and nothing is stored: tracing that
//! is off costs one check per publish.

/// The `traceparent` of the current span, if it belongs to an OpenTelemetry
/// trace.
pub(crate) fn current() -> Option<String> {
    #[cfg(feature = "opentelemetry")]
    {
        otel::current()
    }
    #[cfg(not(feature = "opentelemetry"))]
    {
        None
    }
}

/// Make `span` a child of the span `traceparent` names (a stored
/// [`current`]), so an attempt's span joins its publish's trace. Does nothing
/// without a `traceparent`, and ignores one that does not parse.
pub(crate) fn continue_trace(span: &tracing::Span, traceparent: Option<&str>) {
    #[cfg(feature = "opentelemetry")]
    if let Some(traceparent) = traceparent {
        otel::set_parent(span, traceparent);
    }
    #[cfg(not(feature = "opentelemetry"))]
    let _ = (span, traceparent);
}

#[cfg(feature = "opentelemetry")]
mod otel {
    use std::collections::HashMap;

    use opentelemetry::trace::TraceContextExt as _;
    use opentelemetry::Context;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;

    /// The W3C header (and carrier key) the context travels in.
    const TRACEPARENT: &str = "traceparent";

    /// The current span's context as a `traceparent`, when a valid one exists.
    pub(super) fn current() -> Option<String> {
        let span = tracing::Span::current();
        if span.is_none() {
            return None;
        }
        let context = span.context();
        if !context.span().span_context().is_valid() {
            return None;
        }
        let mut carrier = HashMap::new();
        opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.inject_context(&context, &mut carrier)
        });
        carrier.remove(TRACEPARENT)
    }

    /// Make `span` a child of the stored `traceparent` (an unparsable one is
    /// ignored: the span starts a trace of its own).
    pub(super) fn set_parent(span: &tracing::Span, traceparent: &str) {
        let carrier = HashMap::from([(TRACEPARENT.to_owned(), traceparent.to_owned())]);
        let parent: Context = opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.extract(&carrier)
        });
        if parent.span().span_context().is_valid() {
            // Refused only when the span is disabled or already started; either
            // way there is nothing to join.
            let _ = span.set_parent(parent);
        }
    }
}
