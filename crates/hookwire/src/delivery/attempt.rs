//! One delivery attempt: build and sign the request, send it, record it, and
//! decide what comes next.
//!
//! It owns the order of one attempt's steps; it does not choose which delivery
//! goes next (the worker's claim and lanes do) and does not write SQL: results
//! go to the store as an [`AttemptRecord`](crate::store::AttemptRecord) through
//! the group commit.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use tracing::Instrument as _;

use super::http::{HttpSender, Response};
use crate::model::{Attempt, Delivery, DeliveryStatus, Event, Webhook};
use crate::signer::Signer;
use crate::store::{AttemptResult, DynStore, Job};
use crate::{clock, id, store};

mod health;
mod metrics;

use health::update_health;
use metrics::record_metrics;

/// What an attempt decided beyond the delivery's own state.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The delivery's new state.
    pub result: AttemptResult,
    /// Disable the webhook, with this reason (after the attempt: the webhook
    /// was disabled, by a 410 or by `auto_disable_after`).
    pub disable: Option<String>,
}

/// The result of `POST /webhooks/{id}/test`.
#[derive(Debug, Clone)]
pub struct TestSend {
    /// The delivery created for the test event.
    pub delivery: Delivery,
    /// Its one attempt.
    pub attempt: Attempt,
}

/// The JSON body a receiver gets. Built by hand around the stored `data` text so
/// every attempt sends the same bytes the event was published with; the
/// strings are escaped straight into the body, with no value built per field.
pub fn payload(event: &Event, webhook_id: &str) -> String {
    let timestamp = body_timestamp(event);
    let mut out = Vec::with_capacity(
        96 + event.id.len() + event.event_type.len() + webhook_id.len() + event.data.len(),
    );
    let fields = [
        (&br#"{"id":"#[..], event.id.as_str()),
        (br#","type":"#, &event.event_type),
        (br#","timestamp":"#, &timestamp),
        (br#","webhook_id":"#, webhook_id),
    ];
    for (key, value) in fields {
        out.extend_from_slice(key);
        // Writing a string into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, value);
    }
    out.extend_from_slice(br#","data":"#);
    out.extend_from_slice(event.data.as_bytes());
    out.push(b'}');
    // UTF-8 by construction: the parts are strings, escaped by serde_json.
    String::from_utf8(out).unwrap_or_default()
}

/// The body's `timestamp`: the publication time in RFC 3339 UTC with
/// milliseconds.
pub fn body_timestamp(event: &Event) -> String {
    event
        .created_at
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The names of the headers [`headers`] adds to the webhook's own.
const OWN_HEADERS: [&str; 10] = [
    "user-agent",
    "accept",
    "content-type",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "x-webhook-signature",
    "x-webhook-event",
    "x-webhook-delivery",
    "x-webhook-attempt",
];

/// Every header of attempt `number` of `delivery`, signed at `now`: all that
/// is sent except what the transport derives (`host`, `content-length`,
/// added to the record once the request is made). `user-agent` and `accept` are set here rather than
/// left to the HTTP client, so the attempt's record shows what was sent.
pub fn headers(job: &Job, number: u32, now: DateTime<Utc>, body: &[u8]) -> Vec<(String, String)> {
    let w = &job.webhook;
    let previous = w
        .previous_secret
        .as_ref()
        .filter(|_| w.previous_secret_expires_at.is_some_and(|t| t > now));
    let signer = Signer::new(&w.secret, previous);
    let ts = now.timestamp();
    let mut out: Vec<(String, String)> = w
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !w.headers.keys().any(|k| k.eq_ignore_ascii_case("accept")) {
        out.push(("accept".into(), "*/*".into()));
    }
    out.extend([
        ("user-agent".into(), super::http::USER_AGENT.into()),
        ("content-type".into(), "application/json".into()),
        ("webhook-id".into(), job.event.id.as_str().to_owned()),
        ("webhook-timestamp".into(), ts.to_string()),
        (
            "webhook-signature".into(),
            signer.standard(&job.event.id, ts, body),
        ),
        ("x-webhook-event".into(), job.event.event_type.clone()),
        (
            "x-webhook-delivery".into(),
            job.delivery.id.as_str().to_owned(),
        ),
        ("x-webhook-attempt".into(), number.to_string()),
    ]);
    // HMAC's legacy body signature; an Ed25519 webhook sends `v1a` only.
    if let Some(sha256) = signer.sha256_body(body) {
        out.push(("x-webhook-signature".into(), sha256));
    }
    out
}

/// What happens after attempt `number` came back as `resp`.
pub fn decide(
    webhook: &Webhook,
    number: u32,
    resp: &Response,
    now: DateTime<Utc>,
    jitter_unit: f64,
) -> Decision {
    let final_state = |status| AttemptResult {
        status,
        next_attempt_at: None,
    };
    match resp.status {
        Some(s) if (200..300).contains(&s) => Decision {
            result: final_state(DeliveryStatus::Delivered),
            disable: None,
        },
        Some(410) => Decision {
            result: final_state(DeliveryStatus::Failed),
            disable: Some("the endpoint answered 410 Gone".into()),
        },
        _ if number >= webhook.retry.max_attempts => Decision {
            result: final_state(DeliveryStatus::Failed),
            disable: None,
        },
        _ => {
            let wait = resp
                .retry_after
                .unwrap_or_else(|| webhook.retry.delay(number, jitter_unit));
            let wait = TimeDelta::from_std(wait).unwrap_or(TimeDelta::MAX);
            Decision {
                result: AttemptResult {
                    status: DeliveryStatus::Retrying,
                    next_attempt_at: Some(now.checked_add_signed(wait).unwrap_or(now)),
                },
                disable: None,
            }
        }
    }
}

/// Send attempt `number` of `job` and build its record (the response's headers
/// and body move into the record; the returned response keeps the rest).
pub async fn send(sender: &HttpSender, job: &Job, number: u32) -> (Attempt, Response) {
    let started_at = clock::now();
    let body = payload(&job.event, &job.webhook.id);
    let mut headers = headers(job, number, started_at, body.as_bytes());
    let mut map = HeaderMap::with_capacity(headers.len());
    for (k, v) in &headers {
        // Our own headers' names are known: no parsing for them.
        let name = match OWN_HEADERS.iter().find(|own| *own == k) {
            Some(own) => Ok(HeaderName::from_static(own)),
            None => HeaderName::from_bytes(k.as_bytes()),
        };
        if let (Ok(k), Ok(v)) = (name, HeaderValue::from_str(v)) {
            map.insert(k, v);
        }
    }
    map.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let body_len = body.len();
    let timeout = Duration::from_secs(u64::from(job.webhook.timeout_seconds));
    let mut resp = sender
        .post(
            &job.webhook.url,
            map,
            body.into_bytes(),
            timeout,
            job.webhook.client_certificate.as_ref(),
        )
        .await;
    // What the client added from the URL and the body, as it wrote them.
    if let Some(host) = resp.host.take() {
        headers.push(("host".to_owned(), host));
    }
    headers.push(("content-length".to_owned(), body_len.to_string()));
    let attempt = Attempt {
        id: id::new_id(id::ATTEMPT),
        delivery_id: job.delivery.id.clone(),
        attempt_number: number,
        started_at,
        duration_ms: resp.duration.as_millis() as u64,
        http_status: resp.status,
        error_kind: resp.error.as_ref().map(|(k, _)| k.as_str().to_owned()),
        error_message: resp.error.as_ref().map(|(_, m)| m.clone()),
        request_headers: headers.into_iter().collect(),
        // Kept on the attempt only: the caller decides on status and Retry-After.
        response_headers: std::mem::take(&mut resp.headers),
        response_body: resp.body.take(),
    };
    (attempt, resp)
}

/// Where attempt results are written.
#[async_trait::async_trait]
pub trait Recorder: Send + Sync {
    /// Store the record's attempt and the delivery's new state; `true` while
    /// its owner still held the lease. The attempt is taken and handed back,
    /// not borrowed: a batching recorder keeps it until its commit, and a
    /// copy per delivery (a dozen strings and the request's headers) was
    /// measurable.
    async fn record(&self, record: store::AttemptRecord) -> Result<(bool, Attempt), store::Error>;
}

/// Records each result in its own transaction (test sends, where there is
/// nothing to batch with).
pub struct Unbatched<'a>(pub &'a DynStore);

#[async_trait::async_trait]
impl Recorder for Unbatched<'_> {
    /// A batch of one result, written at once.
    async fn record(&self, record: store::AttemptRecord) -> Result<(bool, Attempt), store::Error> {
        let batch = store::WriteBatch {
            results: vec![&record],
            ..Default::default()
        };
        let updated = match self.0.write(&batch).await? {
            store::Written::Done { results, .. } => results.first().copied().unwrap_or(false),
            store::Written::Stale => false,
        };
        Ok((updated, record.attempt))
    }
}

/// What an attempt needs besides its job.
pub struct Context<'a> {
    /// For webhook health updates.
    pub store: &'a DynStore,
    /// The HTTP client.
    pub sender: &'a HttpSender,
    /// The lease owner recording the result.
    pub owner: &'a std::sync::Arc<str>,
    /// Where the result goes.
    pub recorder: &'a dyn Recorder,
    /// Disable webhooks failing for this long.
    pub auto_disable_after: Duration,
}

/// Run one attempt of a claimed job end to end: send, update the webhook's
/// health, record. `max_attempts` overrides the webhook's (test sends use 1).
/// `sent` is called once the HTTP exchange is over, before recording, with
/// whether it succeeded, so the caller can free the job's place in its lane
/// (or, after a failure, keep it until the failure is counted).
pub async fn run(
    ctx: &Context<'_>,
    job: &Job,
    max_attempts: Option<u32>,
    sent: &mut (dyn FnMut(bool) + Send),
) -> Result<(Attempt, Decision), store::Error> {
    let number = job.delivery.attempt_count + 1;
    // Field names are OpenTelemetry attribute names: exported as they are.
    let span = tracing::info_span!(
        "attempt",
        otel.kind = "client",
        hookwire.event_id = %job.event.id,
        hookwire.delivery_id = %job.delivery.id,
        hookwire.webhook_id = %job.webhook.id,
        hookwire.attempt = i64::from(number),
        http.response.status_code = tracing::field::Empty,
    );
    crate::trace_context::continue_trace(&span, job.event.traceparent.as_deref());
    run_in_span(ctx, job, max_attempts, number, sent)
        .instrument(span)
        .await
}

/// [`run`] inside the attempt's span: send (a disabled webhook's delivery
/// fails without a request), free the lane through `sent`, decide what
/// follows, bring the webhook's health up to date, then record.
async fn run_in_span(
    ctx: &Context<'_>,
    job: &Job,
    max_attempts: Option<u32>,
    number: u32,
    sent: &mut (dyn FnMut(bool) + Send),
) -> Result<(Attempt, Decision), store::Error> {
    let (attempt, resp) = if job.webhook.is_active {
        send(ctx.sender, job, number).await
    } else {
        (
            not_sent(job, number, "the webhook is disabled"),
            Response::default(),
        )
    };
    sent(attempt.succeeded());
    if let Some(status) = attempt.http_status {
        tracing::Span::current().record("http.response.status_code", i64::from(status));
    }
    // A copy of the webhook only where the retry limit is overridden.
    let webhook = match max_attempts {
        Some(max) => {
            let mut w = Webhook::clone(&job.webhook);
            w.retry.max_attempts = max;
            std::borrow::Cow::Owned(w)
        }
        None => std::borrow::Cow::Borrowed(&*job.webhook),
    };
    let now = clock::now();
    let mut decision = decide(&webhook, number, &resp, now, rand::random());
    if !job.webhook.is_active {
        decision.result = AttemptResult {
            status: DeliveryStatus::Failed,
            next_attempt_at: None,
        };
    }
    // The webhook's health first: whoever sees the delivery's final state (a
    // 410, the attempt that hit auto_disable_after) then sees the webhook
    // disabled too. Its failure does not keep the result from being recorded.
    let health = if job.webhook.is_active {
        update_health(
            ctx.store,
            &job.webhook,
            &attempt,
            &decision,
            now,
            ctx.auto_disable_after,
        )
        .await
    } else {
        Ok(None)
    };
    // An auto-disable is decided by the store's streak: the decision says it too.
    if let Ok(Some(reason)) = &health {
        decision.disable = Some(reason.clone());
    }
    let record = store::AttemptRecord {
        owner: ctx.owner.clone(),
        attempt,
        result: decision.result.clone(),
        fifo_key: job.delivery.fifo_key(),
    };
    let (_, attempt) = ctx.recorder.record(record).await?;
    record_metrics(&job.webhook.id, &attempt, &decision);
    tracing::debug!(
        status = decision.result.status.as_str(),
        http_status = attempt.http_status,
        error = attempt.error_kind.as_deref(),
        duration_ms = attempt.duration_ms,
        "attempt recorded"
    );
    health?;
    Ok((attempt, decision))
}

/// An attempt that was not sent (the webhook was disabled after the event was
/// published), recorded so the history says why the delivery failed.
fn not_sent(job: &Job, number: u32, why: &str) -> Attempt {
    Attempt {
        id: id::new_id(id::ATTEMPT),
        delivery_id: job.delivery.id.clone(),
        attempt_number: number,
        started_at: clock::now(),
        duration_ms: 0,
        http_status: None,
        error_kind: Some("webhook_disabled".into()),
        error_message: Some(why.into()),
        request_headers: Default::default(),
        response_headers: Default::default(),
        response_body: None,
    }
}

#[cfg(test)]
mod tests;
