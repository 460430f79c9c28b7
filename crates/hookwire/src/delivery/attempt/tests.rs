//! What an attempt decides from a response — final, retry, or back off as
//! `Retry-After` says — and that the payload is the stored data verbatim;
//! no network, the private decision functions called directly.

use super::*;
use crate::model::{RetryPolicy, Webhook, WebhookDraft, WebhookSpec};
use crate::net::UrlPolicy;

async fn webhook(max_attempts: u32) -> Webhook {
    let draft = WebhookDraft {
        url: "https://93.184.216.34/".into(),
        events: vec!["*".into()],
        ..Default::default()
    };
    let mut spec =
        WebhookSpec::validate(draft, RetryPolicy::default(), &UrlPolicy::default(), |_| {
            true
        })
        .await
        .unwrap();
    spec.retry.max_attempts = max_attempts;
    Webhook::create(Some(&"tn_1".into()), spec)
}

fn status(code: u16) -> Response {
    Response {
        status: Some(code),
        ..Default::default()
    }
}

#[tokio::test]
async fn success_gone_and_exhaustion_are_final() {
    let w = webhook(3).await;
    let now = clock::now();
    assert_eq!(
        decide(&w, 1, &status(204), now, 0.5).result.status,
        DeliveryStatus::Delivered
    );
    let gone = decide(&w, 1, &status(410), now, 0.5);
    assert_eq!(gone.result.status, DeliveryStatus::Failed);
    assert!(gone.disable.is_some());
    let last = decide(&w, 3, &status(500), now, 0.5);
    assert_eq!(
        last.result,
        AttemptResult {
            status: DeliveryStatus::Failed,
            next_attempt_at: None
        }
    );
}

#[tokio::test]
async fn failures_back_off_exponentially_and_honour_retry_after() {
    let w = webhook(4).await;
    let now = clock::now();
    let at = |n: u32, resp: &Response| {
        let d = decide(&w, n, resp, now, 0.5);
        assert_eq!(d.result.status, DeliveryStatus::Retrying);
        (d.result.next_attempt_at.unwrap() - now).num_milliseconds()
    };
    assert_eq!(at(1, &status(500)), 1000);
    assert_eq!(at(2, &status(500)), 2000);
    assert_eq!(at(3, &Response::default()), 4000);
    let mut limited = status(429);
    limited.retry_after = Some(Duration::from_secs(30));
    assert_eq!(at(1, &limited), 30_000);
}

#[test]
fn the_payload_embeds_the_stored_data_verbatim() {
    let event = Event {
        id: "evt_1".into(),
        tenant_id: "tn_1".into(),
        event_type: "a.b".into(),
        channel: None,
        data: r#"{"z":1,"a":"\u00e9"}"#.into(),
        idempotency_key: None,
        created_at: DateTime::from_timestamp_millis(1_700_000_000_123).unwrap(),
        traceparent: None,
        ordering_key: None,
    };
    let body = payload(&event, "wh_1");
    assert_eq!(
        body,
        r#"{"id":"evt_1","type":"a.b","timestamp":"2023-11-14T22:13:20.123Z","webhook_id":"wh_1","data":{"z":1,"a":"\u00e9"}}"#
    );
    let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(parsed["data"]["a"], "é");
}
