//! Delivery history lists and their filters.

use chrono::TimeDelta;
use hookwire::clock;
use hookwire::model::DeliveryStatus;
use hookwire::page::PageRequest;
use hookwire::store::{AttemptResult, DeliveryFilter};
use hookwire::testing::Backend;
use hookwire::DeliveryId;

use crate::fresh_store;
use crate::history::{attempt_of, publish_many, setup};

hookwire::backend_tests!(a_webhooks_failed_deliveries_list_newest_first_page_by_page);

async fn a_webhooks_failed_deliveries_list_newest_first_page_by_page(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (tenant, webhook) = setup(&store).await;
    publish_many(&store, &tenant, TimeDelta::zero(), 10).await;
    let now = clock::now();
    let mut jobs = store
        .claim_due("w", now, now + TimeDelta::seconds(60), 10, &[])
        .await
        .unwrap();
    jobs.sort_by(|a, b| a.delivery.id.cmp(&b.delivery.id));
    // Every third delivery fails for good, the rest succeed.
    let mut failed = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let (code, status) = if i % 3 == 0 {
            failed.push(job.delivery.id.clone());
            (500, DeliveryStatus::Failed)
        } else {
            (200, DeliveryStatus::Delivered)
        };
        let result = AttemptResult {
            status,
            next_attempt_at: None,
        };
        let attempt = attempt_of(&job.delivery.id, code);
        hookwire::testing::record_attempt(&store, "w", &attempt, &result)
            .await
            .unwrap();
    }
    failed.reverse();
    assert_eq!(failed.len(), 4);

    let only = |status| DeliveryFilter {
        status: Some(status),
        ..Default::default()
    };
    let mut listed = Vec::new();
    let mut page = PageRequest {
        limit: 3,
        before_id: None,
    };
    loop {
        let got = store
            .list_deliveries(&tenant, &webhook.id, &only(DeliveryStatus::Failed), &page)
            .await
            .unwrap();
        assert!(got.items.iter().all(|d| d.status == DeliveryStatus::Failed));
        listed.extend(got.items.iter().map(|d| d.id.clone()));
        match got.next_cursor {
            Some(_) => page.before_id = listed.last().map(|id: &DeliveryId| id.to_string()),
            None => break,
        }
    }
    assert_eq!(listed, failed, "every failed delivery, newest first, once");

    // The other filters still narrow a failed list, and other statuses list too.
    let typed = DeliveryFilter {
        event_type: Some("no.such.type".into()),
        ..only(DeliveryStatus::Failed)
    };
    let all = PageRequest::default();
    let none = store
        .list_deliveries(&tenant, &webhook.id, &typed, &all)
        .await
        .unwrap();
    assert!(none.items.is_empty());
    let delivered = store
        .list_deliveries(&tenant, &webhook.id, &only(DeliveryStatus::Delivered), &all)
        .await
        .unwrap();
    assert_eq!(delivered.items.len(), 6);
    let other = store
        .list_deliveries(
            "another-tenant",
            &webhook.id,
            &only(DeliveryStatus::Failed),
            &all,
        )
        .await
        .unwrap();
    assert!(other.items.is_empty(), "scoped to the tenant");
}
