use chrono::TimeDelta;
use hookwire::clock;
use hookwire::model::{
    ApiKey, Attempt, DeliveryStatus, Event, NewEvent, RetryPolicy, Tenant, Webhook, WebhookDraft,
    WebhookSpec,
};
use hookwire::net::UrlPolicy;
use hookwire::retention::{run_once, RetentionOptions};
use hookwire::store::{AttemptResult, DynStore};
use hookwire::testing::Backend;
use hookwire::{TenantId, WebhookId};

use crate::fresh_store;

hookwire::backend_tests!(
    retention_deletes_exactly_the_old_history,
    old_idempotency_keys_are_forgotten,
    the_per_webhook_cap_trims_the_oldest_final_deliveries,
    tenant_stats_count_a_due_retry_and_the_failing_webhooks,
    webhook_counts_for_a_page_agree_with_each_webhooks_stats,
    the_timeline_counts_outcomes_and_latency_per_bucket,
);

pub(crate) async fn setup(store: &DynStore) -> (TenantId, Webhook) {
    let t = Tenant::new("acme").unwrap();
    let (k, _) = ApiKey::generate(&t.id);
    store.create_tenant(&t, &k).await.unwrap();
    let w = another_webhook(store, &t.id).await;
    (t.id, w)
}

/// A new webhook of `tenant` for every event type.
pub(crate) async fn another_webhook(store: &DynStore, tenant: &TenantId) -> Webhook {
    let draft = WebhookDraft {
        url: "https://93.184.216.34/".into(),
        events: vec!["*".into()],
        ..Default::default()
    };
    let spec = WebhookSpec::validate(draft, RetryPolicy::default(), &UrlPolicy::default(), |_| {
        true
    })
    .await
    .unwrap();
    let w = Webhook::create(Some(tenant), spec);
    store.insert_webhook(&w).await.unwrap();
    w
}

async fn publish(store: &DynStore, tenant: &TenantId, age: TimeDelta, key: Option<&str>) -> Event {
    let new = NewEvent {
        event_type: "webhook.test".into(),
        data: serde_json::json!({}),
        channel: None,
        id: key.map(str::to_owned),
        ordering_key: None,
    };
    let mut e = Event::from_new(tenant, new, None, |_| true).unwrap();
    e.created_at = clock::now() - age;
    let since = clock::now() - TimeDelta::hours(24);
    hookwire::testing::publish(store, &e, &["*".into()], since)
        .await
        .unwrap();
    e
}

async fn retention_deletes_exactly_the_old_history(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (tenant, _) = setup(&store).await;
    let old: Vec<Event> = publish_many(&store, &tenant, TimeDelta::days(31), 5).await;
    let edge = publish(&store, &tenant, TimeDelta::days(29), None).await;
    let new = publish(&store, &tenant, TimeDelta::zero(), None).await;
    let opts = RetentionOptions {
        retention_days: 30,
        batch: 2,
        ..Default::default()
    };
    let report = run_once(&store, &opts).await.unwrap();
    assert_eq!(report.events, 5);
    for e in &old {
        assert_eq!(store.event(&tenant, &e.id).await.unwrap(), None);
        assert!(store.deliveries_of_event(&e.id).await.unwrap().is_empty());
    }
    for e in [&edge, &new] {
        assert!(store.event(&tenant, &e.id).await.unwrap().is_some());
        assert_eq!(store.deliveries_of_event(&e.id).await.unwrap().len(), 1);
    }
    assert_eq!(run_once(&store, &opts).await.unwrap().events, 0);
}

pub(crate) async fn publish_many(
    store: &DynStore,
    tenant: &TenantId,
    age: TimeDelta,
    n: usize,
) -> Vec<Event> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(publish(store, tenant, age, None).await);
    }
    out
}

async fn old_idempotency_keys_are_forgotten(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (tenant, _) = setup(&store).await;
    let old = publish(&store, &tenant, TimeDelta::hours(25), Some("k-old")).await;
    let recent = publish(&store, &tenant, TimeDelta::hours(1), Some("k-new")).await;
    let report = run_once(&store, &RetentionOptions::default())
        .await
        .unwrap();
    assert_eq!(report.idempotency_keys, 1);
    assert_eq!(
        store
            .event(&tenant, &old.id)
            .await
            .unwrap()
            .unwrap()
            .idempotency_key,
        None
    );
    assert_eq!(
        store
            .event(&tenant, &recent.id)
            .await
            .unwrap()
            .unwrap()
            .idempotency_key
            .as_deref(),
        Some("k-new")
    );
}

async fn the_per_webhook_cap_trims_the_oldest_final_deliveries(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (tenant, webhook) = setup(&store).await;
    // Distinct ages, oldest first, so the claim below takes the four oldest.
    let mut events = Vec::new();
    for age in (1..=5).rev() {
        events.push(publish(&store, &tenant, TimeDelta::seconds(age), None).await);
    }
    // Finish the four oldest; the newest stays pending.
    let jobs = store
        .claim_due(
            "w",
            clock::now(),
            clock::now() + TimeDelta::seconds(60),
            4,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(jobs.len(), 4);
    for job in &jobs {
        let attempt = attempt_of(&job.delivery.id, 200);
        let done = AttemptResult {
            status: DeliveryStatus::Delivered,
            next_attempt_at: None,
        };
        assert!(
            hookwire::testing::record_attempt(&store, "w", &attempt, &done)
                .await
                .unwrap()
        );
    }
    let opts = RetentionOptions {
        max_deliveries_per_webhook: Some(2),
        ..Default::default()
    };
    let report = run_once(&store, &opts).await.unwrap();
    assert_eq!(
        report.deliveries, 3,
        "keeps the newest 2, never the unfinished one"
    );
    let mut remaining = Vec::new();
    for e in &events {
        remaining.extend(store.deliveries_of_event(&e.id).await.unwrap());
    }
    assert_eq!(remaining.len(), 2);
    assert!(remaining.iter().all(|d| d.webhook_id == webhook.id));
    let unfinished = remaining.iter().filter(|d| !d.status.is_final()).count();
    assert_eq!(unfinished, 1, "the pending delivery was kept");
}

pub(crate) fn attempt_of(delivery_id: &str, status: u16) -> Attempt {
    Attempt {
        id: hookwire::id::new_id(hookwire::id::ATTEMPT),
        delivery_id: delivery_id.into(),
        attempt_number: 1,
        started_at: clock::now(),
        duration_ms: 12,
        http_status: Some(status),
        error_kind: None,
        error_message: None,
        request_headers: Default::default(),
        response_headers: Default::default(),
        response_body: Some("ok".into()),
    }
}

/// Publish three events now and record one attempt each: delivered, failed, and
/// retrying (due at once). Returns the time of the attempts.
async fn three_outcomes(store: &DynStore, tenant: &TenantId) -> chrono::DateTime<chrono::Utc> {
    publish_many(store, tenant, TimeDelta::zero(), 3).await;
    let now = clock::now();
    let jobs = store
        .claim_due("w", now, now + TimeDelta::seconds(60), 3, &[])
        .await
        .unwrap();
    let outcomes = [
        (200, DeliveryStatus::Delivered, None),
        (500, DeliveryStatus::Failed, None),
        (500, DeliveryStatus::Retrying, Some(now)),
    ];
    for (job, (code, status, next_attempt_at)) in jobs.iter().zip(outcomes) {
        let result = AttemptResult {
            status,
            next_attempt_at,
        };
        hookwire::testing::record_attempt(store, "w", &attempt_of(&job.delivery.id, code), &result)
            .await
            .unwrap();
    }
    now
}

async fn tenant_stats_count_a_due_retry_and_the_failing_webhooks(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (tenant, webhook) = setup(&store).await;
    let now = three_outcomes(&store, &tenant).await;
    let since = now - TimeDelta::hours(1);
    let st = store
        .tenant_stats(&tenant, since, now + TimeDelta::seconds(1))
        .await
        .unwrap();
    assert_eq!(
        (st.total, st.delivered, st.failed, st.retry_queue_size),
        (3, 1, 1, 1)
    );
    assert_eq!(
        st.top_failing,
        vec![(webhook.id.clone(), webhook.url.clone(), 1)]
    );
    let ws = store
        .webhook_stats(&tenant, &webhook.id, since)
        .await
        .unwrap();
    assert_eq!(
        (ws.total, ws.delivered, ws.failed, ws.pending),
        (3, 1, 1, 1)
    );
    assert_eq!(ws.avg_duration_ms, Some(12.0));
    assert!(ws.last_delivery_at.is_some());
    let (due, later) = store
        .queue_depth(now + TimeDelta::seconds(1))
        .await
        .unwrap();
    assert_eq!((due, later), (1, 0));
    // Outside the window nothing counts.
    let empty = store
        .tenant_stats(&tenant, now + TimeDelta::hours(1), now)
        .await
        .unwrap();
    assert_eq!(empty.total, 0);
}

async fn webhook_counts_for_a_page_agree_with_each_webhooks_stats(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (tenant, webhook) = setup(&store).await;
    let now = three_outcomes(&store, &tenant).await;
    let since = now - TimeDelta::hours(1);
    let quiet = WebhookId::from("wh_without_deliveries");
    let counts = store
        .webhook_counts(&[webhook.id.clone(), quiet.clone()], since)
        .await
        .unwrap();
    let ws = store
        .webhook_stats(&tenant, &webhook.id, since)
        .await
        .unwrap();
    let c = &counts[&webhook.id];
    assert_eq!(
        (
            c.total,
            c.delivered,
            c.failed,
            c.pending,
            c.last_delivery_at
        ),
        (
            ws.total,
            ws.delivered,
            ws.failed,
            ws.pending,
            ws.last_delivery_at
        )
    );
    assert_eq!((c.total, c.delivered, c.failed, c.pending), (3, 1, 1, 1));
    assert!(!counts.contains_key(&quiet), "no deliveries, no entry");
    let later = store
        .webhook_counts(std::slice::from_ref(&webhook.id), now + TimeDelta::hours(1))
        .await
        .unwrap();
    assert!(later.is_empty(), "outside the window nothing counts");
}

async fn the_timeline_counts_outcomes_and_latency_per_bucket(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (tenant, webhook) = setup(&store).await;
    let now = three_outcomes(&store, &tenant).await;
    publish_many(&store, &tenant, TimeDelta::minutes(150), 2).await;
    publish(&store, &tenant, TimeDelta::minutes(90), None).await;
    let since = now - TimeDelta::hours(3) + TimeDelta::seconds(1);
    let hour = TimeDelta::hours(1).num_milliseconds();
    let got = store
        .webhook_timeline(&webhook.id, since, hour)
        .await
        .unwrap();
    let summary: Vec<_> = got
        .iter()
        .map(|b| {
            let n = (b.start - since).num_milliseconds() / hour;
            (n, b.delivered, b.failed, b.pending, b.avg_duration_ms)
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (0, 0, 0, 2, None),
            (1, 0, 0, 1, None),
            (2, 1, 1, 1, Some(12.0)),
        ]
    );
    // Another webhook's timeline is empty.
    let other = store
        .webhook_timeline("wh_other", since, hour)
        .await
        .unwrap();
    assert!(other.is_empty());
}
