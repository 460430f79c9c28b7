//! OpenTelemetry: the spans `serve` exports over OTLP/HTTP, read back by a
//! collector on loopback (the test's receiver, decoding what it got as OTLP
//! protobuf). A publish request continues the caller's `traceparent`; its
//! fan-out and every attempt of its delivery join that trace — the retry
//! too, made by another process after a restart, from the `traceparent`
//! stored with the event.

use hookwire::testing::{Backend, TestDatabase};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use serde_json::{json, Value};

use crate::receiver::{Answer, Receiver};
use crate::server::{tenant, Server};

hookwire::backend_tests!(attempts_continue_the_publish_requests_trace);

async fn attempts_continue_the_publish_requests_trace(b: Backend) {
    let Some(db) = TestDatabase::create(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/hook", vec![Answer::Status(500)]);
    let env = [
        ("HOOKWIRE_OTEL_ENDPOINT", rx.base.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    let first = Server::start_with(&db.url, &env).await;
    let key = tenant(&first.base).await;
    let client = reqwest::Client::new();
    let webhook: Value = client
        .post(format!("{}/api/v1/webhooks", first.base))
        .bearer_auth(&key)
        .json(&json!({ "url": rx.url("/hook"), "events": ["*"],
                       "retry": { "max_attempts": 3, "initial_delay_ms": 2000, "max_delay_ms": 2000 } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let published: Value = client
        .post(format!("{}/api/v1/events", first.base))
        .bearer_auth(&key)
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .json(&json!({ "type": "webhook.test", "data": { "n": 1 } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let event_id = published["id"].as_str().unwrap();
    let delivery_id = published["deliveries"][0]["id"].as_str().unwrap();

    // The first attempt fails; the retry is made by the next process.
    rx.wait_for("/hook", 1).await;
    assert!(terminate(first).await.success());
    assert_eq!(rx.at("/hook").len(), 1, "the retry is the next process's");
    let second = Server::start_with(&db.url, &env).await;
    rx.wait_for("/hook", 2).await;
    // A graceful stop exports what is still buffered.
    assert!(terminate(second).await.success());

    let spans = exported(&rx);
    assert!(
        !spans.iter().any(|s| s.name == "GET /readyz"),
        "probes are not traced"
    );
    let request = only(&spans, "POST /api/v1/events");
    assert_eq!(hex::encode(&request.trace_id), trace_id);
    assert_eq!(hex::encode(&request.parent_span_id), caller_span);
    assert_eq!(int(request, "http.response.status_code"), Some(202));

    let fan_out = only(&spans, "fan_out");
    assert_eq!(hex::encode(&fan_out.trace_id), trace_id);
    assert_eq!(fan_out.parent_span_id, request.span_id);
    assert_eq!(
        text(fan_out, "hookwire.event_id").as_deref(),
        Some(event_id)
    );
    assert_eq!(int(fan_out, "hookwire.deliveries"), Some(1));

    let mut attempts: Vec<&Span> = spans.iter().filter(|s| s.name == "attempt").collect();
    attempts.sort_by_key(|s| int(s, "hookwire.attempt"));
    assert_eq!(attempts.len(), 2, "one span per attempt: {attempts:?}");
    for (attempt, status) in attempts.iter().zip([500, 200]) {
        assert_eq!(hex::encode(&attempt.trace_id), trace_id);
        assert_eq!(
            attempt.parent_span_id, request.span_id,
            "an attempt is a child of the publish request"
        );
        assert_eq!(
            text(attempt, "hookwire.event_id").as_deref(),
            Some(event_id)
        );
        assert_eq!(
            text(attempt, "hookwire.delivery_id").as_deref(),
            Some(delivery_id)
        );
        assert_eq!(
            text(attempt, "hookwire.webhook_id").as_deref(),
            webhook["id"].as_str()
        );
        assert_eq!(int(attempt, "http.response.status_code"), Some(status));
    }
}

/// SIGTERM `server` and wait for it off this runtime's thread, which serves
/// the collector the server's last export goes to.
async fn terminate(server: Server) -> std::process::ExitStatus {
    tokio::task::spawn_blocking(move || server.terminate())
        .await
        .expect("terminate")
}

/// Every span the collector received.
fn exported(rx: &Receiver) -> Vec<Span> {
    rx.at("/v1/traces")
        .iter()
        .flat_map(|r| {
            ExportTraceServiceRequest::decode(r.body.clone())
                .expect("an OTLP protobuf export")
                .resource_spans
        })
        .flat_map(|r| r.scope_spans)
        .flat_map(|s| s.spans)
        .collect()
}

fn only<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    let named: Vec<&Span> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(named.len(), 1, "one {name:?} span among {spans:?}");
    named[0]
}

fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a AnyValue> {
    span.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref()?.value.as_ref())
}

fn text(span: &Span, key: &str) -> Option<String> {
    match attribute(span, key)? {
        AnyValue::StringValue(s) => Some(s.clone()),
        _ => None,
    }
}

fn int(span: &Span, key: &str) -> Option<i64> {
    match attribute(span, key)? {
        AnyValue::IntValue(i) => Some(*i),
        _ => None,
    }
}
