//! Webhook rows: every field, tenant scoping, list filters.

use std::collections::BTreeMap;

use hookwire::model::{
    ApiKey, EventTypeName, RetryPolicy, Tenant, Webhook, WebhookDraft, WebhookSpec,
};
use hookwire::net::UrlPolicy;
use hookwire::page::PageRequest;
use hookwire::store::{DynStore, SettingsChanges, WebhookChanges, WebhookFilter};
use hookwire::testing::{Backend, TestDatabase};
use hookwire::TenantId;

use crate::fresh_store;

hookwire::backend_tests!(
    every_webhook_field_round_trips,
    webhooks_are_scoped_to_their_tenant,
    webhook_lists_filter_by_event_pattern_and_activity,
);

/// An update that changes everything it can.
const EVERYTHING: WebhookChanges = WebhookChanges {
    is_active: true,
    secrets: true,
    settings: SettingsChanges::ALL,
};

async fn tenant(store: &DynStore, name: &str) -> TenantId {
    let t = Tenant::new(name).unwrap();
    let (k, _) = ApiKey::generate(&t.id);
    store.create_tenant(&t, &k).await.unwrap();
    t.id
}

/// A fresh store with tenant "acme" and one active webhook of it, or `None`
/// (skip, see `TestDatabase`).
pub(crate) async fn store_with_a_webhook(
    b: Backend,
) -> Option<(DynStore, TestDatabase, TenantId, Webhook)> {
    let (store, db) = fresh_store(b).await?;
    let t = tenant(&store, "acme").await;
    let w = webhook(&t, &["*"], true).await;
    store.insert_webhook(&w).await.unwrap();
    Some((store, db, t, w))
}

async fn webhook(tenant: &TenantId, events: &[&str], active: bool) -> Webhook {
    let draft = WebhookDraft {
        url: "https://93.184.216.34/hook".into(),
        events: events.iter().map(|s| s.to_string()).collect(),
        is_active: Some(active),
        ..Default::default()
    };
    let spec = WebhookSpec::validate(draft, RetryPolicy::default(), &UrlPolicy::default(), |_| {
        true
    })
    .await
    .unwrap();
    Webhook::create(Some(tenant), spec)
}

async fn every_webhook_field_round_trips(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let t = tenant(&store, "acme").await;
    let mut w = webhook(&t, &["a.b", "c.*"], true).await;
    w.name = Some("n".into());
    w.description = Some("d".into());
    w.channels = vec!["ch1".into(), "ch2".into()];
    w.headers = BTreeMap::from([("x-api-key".into(), "v".into())]);
    w.retry = RetryPolicy {
        max_attempts: 7,
        initial_delay_ms: 5,
        max_delay_ms: 50,
    };
    w.timeout_seconds = 3;
    store.insert_webhook(&w).await.unwrap();
    assert_eq!(store.webhook(&t, &w.id).await.unwrap(), Some(w.clone()));

    w.is_active = false;
    w.previous_secret = Some(w.secret.clone());
    w.previous_secret_expires_at = Some(hookwire::clock::now());
    let stored = store.update_webhook(&w, EVERYTHING).await.unwrap();
    assert_eq!(stored.as_ref(), Some(&w), "returned as stored");
    assert_eq!(store.webhook(&t, &w.id).await.unwrap(), Some(w.clone()));

    assert!(store.delete_webhook(&t, &w.id).await.unwrap());
    assert_eq!(store.webhook(&t, &w.id).await.unwrap(), None);
    assert_eq!(store.update_webhook(&w, EVERYTHING).await.unwrap(), None);
}

async fn webhooks_are_scoped_to_their_tenant(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let a = tenant(&store, "a").await;
    let other = tenant(&store, "b").await;
    let w = webhook(&a, &["*"], true).await;
    store.insert_webhook(&w).await.unwrap();
    assert_eq!(store.webhook(&other, &w.id).await.unwrap(), None);
    assert!(!store.delete_webhook(&other, &w.id).await.unwrap());
    let page = store
        .list_webhooks(&other, &WebhookFilter::default(), &PageRequest::default())
        .await
        .unwrap();
    assert!(page.items.is_empty());
}

async fn webhook_lists_filter_by_event_pattern_and_activity(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let t = tenant(&store, "acme").await;
    let exact = webhook(&t, &["artifact.completed"], true).await;
    let prefix = webhook(&t, &["artifact.*"], true).await;
    let all = webhook(&t, &["*"], false).await;
    let other = webhook(&t, &["source.ready"], true).await;
    for w in [&exact, &prefix, &all, &other] {
        store.insert_webhook(w).await.unwrap();
    }
    let ids = |filter: WebhookFilter| {
        let store = store.clone();
        let t = t.clone();
        async move {
            let page = store
                .list_webhooks(&t, &filter, &PageRequest::default())
                .await
                .unwrap();
            page.items.into_iter().map(|w| w.id).collect::<Vec<_>>()
        }
    };
    let event = |n: &str| Some(EventTypeName::parse(n, "event").unwrap());
    assert_eq!(
        ids(WebhookFilter {
            event: event("artifact.completed"),
            is_active: None
        })
        .await,
        vec![all.id.clone(), prefix.id.clone(), exact.id.clone()]
    );
    assert_eq!(
        ids(WebhookFilter {
            event: event("artifact.completed"),
            is_active: Some(true)
        })
        .await,
        vec![prefix.id.clone(), exact.id.clone()]
    );
    assert_eq!(
        ids(WebhookFilter {
            event: event("source.ready"),
            is_active: None
        })
        .await,
        vec![other.id.clone(), all.id.clone()]
    );
    assert_eq!(
        ids(WebhookFilter {
            event: None,
            is_active: Some(false)
        })
        .await,
        vec![all.id.clone()]
    );
}
