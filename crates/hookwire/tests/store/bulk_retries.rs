//! Bulk retries: stored when accepted, then requeued a chunk at a time,
//! oldest first, each delivery due at its turn.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use hookwire::clock;
use hookwire::model::{Delivery, DeliveryStatus};
use hookwire::store::{AttemptResult, DynStore, RequeueFilter};
use hookwire::testing::Backend;
use hookwire::TenantId;

use crate::fresh_store;
use crate::history::{attempt_of, publish_many, setup};

hookwire::backend_tests!(a_bulk_retry_requeues_a_chunk_per_turn_oldest_first);

/// Publish `n` events and fail each delivery for good; their deliveries,
/// oldest first.
async fn failed(store: &DynStore, tenant: &TenantId, n: usize) -> Vec<Delivery> {
    publish_many(store, tenant, TimeDelta::zero(), n).await;
    let now = clock::now();
    let jobs = store
        .claim_due("w", now, now + TimeDelta::seconds(60), 100, &[])
        .await
        .unwrap();
    assert_eq!(jobs.len(), n);
    let result = AttemptResult {
        status: DeliveryStatus::Failed,
        next_attempt_at: None,
    };
    let mut out = Vec::new();
    for job in &jobs {
        let attempt = attempt_of(&job.delivery.id, 500);
        hookwire::testing::record_attempt(store, "w", &attempt, &result)
            .await
            .unwrap();
        out.push(
            store
                .delivery(tenant, &job.delivery.id)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    out
}

/// Now, in whole milliseconds (what every backend stores exactly), and after
/// whatever was written in the millisecond before.
async fn whole_ms_now() -> DateTime<Utc> {
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    clock::now()
        .duration_trunc(TimeDelta::milliseconds(1))
        .unwrap()
}

async fn a_bulk_retry_requeues_a_chunk_per_turn_oldest_first(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (tenant, _) = setup(&store).await;
    let old = failed(&store, &tenant, 5).await;
    let filter = RequeueFilter {
        status: DeliveryStatus::Failed,
        since: clock::now() - TimeDelta::hours(1),
        until: None,
        webhook_id: None,
        event_type: None,
    };
    let now = whole_ms_now().await;
    assert_eq!(
        store
            .start_bulk_retry(&tenant, &filter, now, 2)
            .await
            .unwrap(),
        5
    );
    // Failed after the retry was accepted: not picked.
    let late = failed(&store, &tenant, 1).await;
    let state = |d: &Delivery| {
        let (store, tenant, id) = (store.clone(), tenant.clone(), d.id.clone());
        async move {
            let d = store.delivery(&tenant, &id).await.unwrap().unwrap();
            (d.status, d.next_attempt_at)
        }
    };
    let ahead = TimeDelta::seconds(1);
    let at = |ms: i64| now + TimeDelta::milliseconds(ms);
    let due = |ms: i64| (DeliveryStatus::Retrying, Some(at(ms)));
    let untouched = (DeliveryStatus::Failed, None::<DateTime<Utc>>);

    // Two a second: the first turn takes the two oldest, half a second apart.
    assert_eq!(
        store.continue_bulk_retry(now, ahead).await.unwrap(),
        Some(2)
    );
    assert_eq!(state(&old[0]).await, due(0));
    assert_eq!(state(&old[1]).await, due(500));
    assert_eq!(state(&old[2]).await, untouched);
    // The next turn is a second on: not yet within a second of `now`.
    assert_eq!(store.continue_bulk_retry(now, ahead).await.unwrap(), None);

    // Requeued by hand in between: passed over, the next one takes its place.
    assert!(store
        .requeue_delivery(&tenant, &old[3].id, now)
        .await
        .unwrap());
    assert_eq!(
        store.continue_bulk_retry(at(100), ahead).await.unwrap(),
        Some(2)
    );
    assert_eq!(state(&old[2]).await, due(1000));
    assert_eq!(state(&old[3]).await, (DeliveryStatus::Retrying, Some(now)));
    assert_eq!(state(&old[4]).await, due(1500));

    // Nothing left: the retry ends, and the late failure stays as it was.
    assert_eq!(
        store.continue_bulk_retry(at(1100), ahead).await.unwrap(),
        Some(0)
    );
    assert_eq!(
        store.continue_bulk_retry(at(9000), ahead).await.unwrap(),
        None
    );
    assert_eq!(state(&late[0]).await, untouched);

    // A turn taken late is due from when it is taken, not in the past.
    let again = whole_ms_now().await;
    let mut retrying = filter.clone();
    retrying.status = DeliveryStatus::Retrying;
    assert_eq!(
        store
            .count_requeue_matching(&tenant, &retrying, again)
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        store
            .start_bulk_retry(&tenant, &filter, again, 1000)
            .await
            .unwrap(),
        1,
        "only the late failure is failed now"
    );
    let later = again + TimeDelta::seconds(30);
    assert_eq!(
        store.continue_bulk_retry(later, ahead).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        state(&late[0]).await,
        (DeliveryStatus::Retrying, Some(later))
    );
}
