//! Webhook input's public contract: what a draft is refused for (naming the
//! field) and what a valid one becomes.

use std::collections::BTreeMap;

use hookwire::model::{RetryPolicy, WebhookDraft, WebhookSpec, MAX_RATE_LIMIT_PER_SECOND};
use hookwire::net::UrlPolicy;

const OPEN: UrlPolicy = UrlPolicy {
    allow_http: true,
    allow_private_networks: true,
};

fn draft() -> WebhookDraft {
    WebhookDraft {
        url: "https://93.184.216.34/hook".into(),
        events: vec!["a.b".into()],
        ..Default::default()
    }
}

async fn field_of(d: WebhookDraft) -> String {
    WebhookSpec::validate(d, RetryPolicy::default(), &OPEN, |n| n == "a.b")
        .await
        .unwrap_err()
        .field
}

#[tokio::test]
async fn defaults_are_filled_in() {
    let spec = WebhookSpec::validate(draft(), RetryPolicy::default(), &OPEN, |_| true)
        .await
        .unwrap();
    assert_eq!(spec.timeout_seconds, 10);
    assert_eq!(spec.retry, RetryPolicy::default());
    assert!(spec.is_active);
    assert!(spec.secret.is_none());
    assert_eq!(spec.rate_limit_per_second, None, "no limit unless asked");
}

#[tokio::test]
async fn each_bad_field_is_named() {
    let mut d = draft();
    d.events = vec![];
    assert_eq!(field_of(d).await, "events");
    let mut d = draft();
    d.events = vec!["not.in.catalog".into()];
    assert_eq!(field_of(d).await, "events");
    let mut d = draft();
    d.timeout_seconds = Some(61);
    assert_eq!(field_of(d).await, "timeout_seconds");
    for rate in [0, MAX_RATE_LIMIT_PER_SECOND + 1] {
        let mut d = draft();
        d.rate_limit_per_second = Some(rate);
        assert_eq!(field_of(d).await, "rate_limit_per_second");
    }
    let mut d = draft();
    d.channels = Some(vec!["bad channel".into()]);
    assert_eq!(field_of(d).await, "channels");
    let mut d = draft();
    d.headers = Some(BTreeMap::from([("Webhook-Signature".into(), "x".into())]));
    assert_eq!(field_of(d).await, "headers.Webhook-Signature");
    let mut d = draft();
    d.secret = Some("short".into());
    assert_eq!(field_of(d).await, "secret");
    let mut d = draft();
    d.url = "ftp://x".into();
    assert_eq!(field_of(d).await, "url");
    let mut d = draft();
    d.description = Some("a\0b".into());
    assert_eq!(field_of(d).await, "description");
}
