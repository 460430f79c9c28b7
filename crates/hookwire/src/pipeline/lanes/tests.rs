//! The lanes' admission rules, without a store or a clock to wait on: per-webhook
//! caps, the waiting line and its drain estimate, the claim reserve of global
//! permits, and the latest-start check against a lease. They live beside
//! [`Lanes`](super::Lanes) because the rules are private to the pipeline.

use super::*;
use crate::model::{Delivery, Event, RetryPolicy, Webhook, WebhookDraft, WebhookSpec};
use crate::net::UrlPolicy;

async fn webhook(id: &str) -> Webhook {
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
    let mut w = Webhook::create(Some(&"tn_1".into()), spec);
    w.id = id.into();
    w
}

fn job(webhook: &Webhook) -> Job {
    let event = Event {
        id: crate::id::EventId::generate(),
        tenant_id: "tn_1".into(),
        event_type: "a.b".into(),
        channel: None,
        data: "{}".into(),
        idempotency_key: None,
        created_at: crate::clock::now(),
        traceparent: None,
        ordering_key: None,
    };
    Job {
        delivery: Delivery::pending(&event, webhook.id.clone()),
        event: std::sync::Arc::new(event),
        webhook: std::sync::Arc::new(webhook.clone()),
    }
}

const LEASE: Duration = Duration::from_secs(90);

/// `per_webhook` in flight and `waiting` waiting per webhook; 100 of each
/// overall, no claim reserve.
fn capacity(per_webhook: usize, waiting: usize) -> Capacity {
    Capacity {
        lease: LEASE,
        per_webhook,
        waiting_per_webhook: waiting,
        in_flight: 100,
        claim_reserve: 0,
        waiting: 100,
    }
}

fn lanes(per_webhook: usize, waiting: usize) -> Lanes {
    Lanes::new(capacity(per_webhook, waiting))
}

fn later() -> Instant {
    Instant::now() + LEASE
}

#[tokio::test]
async fn a_lane_runs_cap_jobs_and_starts_the_next_when_one_finishes() {
    let lanes = lanes(2, 3);
    let w = webhook("wh_a").await;
    let mut started = Vec::new();
    for _ in 0..4 {
        started.extend(lanes.admit(job(&w), later()).map_err(|_| ()).unwrap());
    }
    assert_eq!(started.len(), 2, "only cap jobs start");
    drop(started.pop());
    let (next, was_full) = lanes.finished("wh_a", Duration::from_millis(5));
    assert_eq!(next.len(), 1, "a freed place starts the next waiting job");
    assert!(!was_full, "4 of 5 places were taken, the lane was not full");
}

#[tokio::test]
async fn a_full_lane_refuses_and_says_when_it_will_have_drained() {
    let lanes = lanes(1, 1);
    let w = webhook("wh_a").await;
    let first = lanes.admit(job(&w), later()).map_err(|_| ()).unwrap();
    assert_eq!(first.len(), 1);
    lanes.reserve("wh_a", Duration::from_secs(30)).unwrap();
    // Full for publishes: nothing measured yet, so 2 rounds of the 100 ms
    // default, within [10 ms, 2 × 30 s].
    let Err(wait) = lanes.reserve("wh_a", Duration::from_secs(30)) else {
        panic!("a full lane took a reservation");
    };
    assert_eq!(wait, Duration::from_millis(200));
    // Claimed jobs have a line of their own, on top of the publishes' places.
    assert!(lanes.full().is_empty());
    let queued = lanes.admit(job(&w), later()).map_err(|_| ()).unwrap();
    assert!(queued.is_empty(), "the one place is taken");
    assert_eq!(lanes.full(), vec!["wh_a".to_string()]);
    let Err((_, wait)) = lanes.admit(job(&w), later()) else {
        panic!("a full lane admitted a job");
    };
    assert_eq!(wait, Duration::from_millis(300), "3 jobs ahead, one place");
    // Another webhook is unaffected.
    let other = webhook("wh_b").await;
    assert_eq!(
        lanes
            .admit(job(&other), later())
            .map_err(|_| ())
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_claimed_job_starts_before_the_publishes_waiting_in_its_lane() {
    let lanes = lanes(1, 5);
    let w = webhook("wh_a").await;
    let running = lanes.admit(job(&w), later()).map_err(|_| ()).unwrap();
    assert_eq!(running.len(), 1);
    lanes.reserve("wh_a", Duration::from_secs(1)).unwrap();
    let published = job(&w);
    let published_id = published.delivery.id.clone();
    assert!(
        lanes.fill(published, later()).is_empty(),
        "the place is taken"
    );
    let claimed = job(&w);
    let claimed_id = claimed.delivery.id.clone();
    assert!(lanes
        .admit(claimed, later())
        .map_err(|_| ())
        .unwrap()
        .is_empty());
    drop(running);
    let (next, _) = lanes.finished("wh_a", Duration::from_millis(1));
    assert_eq!(next.len(), 1);
    assert_eq!(
        next[0].job.delivery.id, claimed_id,
        "the older, queued job first"
    );
    drop(next);
    let (next, _) = lanes.finished("wh_a", Duration::from_millis(1));
    assert_eq!(next[0].job.delivery.id, published_id);
}

#[tokio::test]
async fn publishes_leave_the_claim_reserve_of_permits_to_claimed_jobs() {
    // 16 permits, 2 of them kept for claimed jobs.
    let lanes = Lanes::new(Capacity {
        in_flight: 16,
        claim_reserve: 2,
        ..capacity(20, 20)
    });
    let w = webhook("wh_a").await;
    let mut running = Vec::new();
    for _ in 0..16 {
        lanes.reserve("wh_a", Duration::from_secs(1)).unwrap();
        running.extend(lanes.fill(job(&w), later()));
    }
    assert_eq!(running.len(), 14, "publishes stop at the reserve");
    assert_eq!(lanes.free_permits(), 2);
    let claimed = lanes.admit(job(&w), later()).map_err(|_| ()).unwrap();
    assert_eq!(claimed.len(), 1, "a claimed job takes a reserved permit");
    // A permit given back refills the reserve before a waiting publish gets one.
    drop(running.pop());
    let (next, was_blocked) = lanes.released();
    assert!(next.is_empty(), "two free permits: both kept in reserve");
    assert!(was_blocked, "the lane waits for permits");
    drop(running.pop());
    let (next, _) = lanes.released();
    assert_eq!(next.len(), 1, "beyond the reserve, publishes start again");
}

#[tokio::test]
async fn a_cancelled_reservation_frees_its_place_and_a_filled_one_starts() {
    let lanes = lanes(1, 0);
    let w = webhook("wh_a").await;
    lanes.reserve("wh_a", Duration::from_secs(1)).unwrap();
    assert!(lanes.reserve("wh_a", Duration::from_secs(1)).is_err());
    lanes.cancel("wh_a");
    assert!(lanes.full().is_empty(), "the lane is forgotten once empty");
    lanes.reserve("wh_a", Duration::from_secs(1)).unwrap();
    let started = lanes.fill(job(&w), later());
    assert_eq!(started.len(), 1);
}

#[tokio::test]
async fn global_permits_bound_all_lanes_and_a_finish_unblocks_another_lane() {
    let lanes = Lanes::new(Capacity {
        in_flight: 1,
        claim_reserve: 0,
        ..capacity(5, 5)
    });
    let (a, b) = (webhook("wh_a").await, webhook("wh_b").await);
    let running = lanes.admit(job(&a), later()).map_err(|_| ()).unwrap();
    assert_eq!(running.len(), 1);
    let blocked = lanes.admit(job(&b), later()).map_err(|_| ()).unwrap();
    assert!(blocked.is_empty(), "no global permit left");
    drop(running);
    let (next, was_full) = lanes.finished("wh_a", Duration::from_millis(1));
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].job.webhook.id, "wh_b");
    assert!(was_full, "a lane was blocked on global permits");
}

#[tokio::test]
async fn a_permit_held_while_recording_blocks_until_released() {
    let lanes = Lanes::new(Capacity {
        in_flight: 1,
        claim_reserve: 0,
        ..capacity(5, 5)
    });
    let a = webhook("wh_a").await;
    let mut running = lanes.admit(job(&a), later()).map_err(|_| ()).unwrap();
    assert!(lanes
        .admit(job(&a), later())
        .map_err(|_| ())
        .unwrap()
        .is_empty());
    // The exchange ended, the result is not recorded yet: the permit is held.
    let (next, _) = lanes.finished("wh_a", Duration::from_millis(1));
    assert!(next.is_empty(), "the lane has a free place but no permit");
    drop(running.pop());
    let (next, was_blocked) = lanes.released();
    assert_eq!(next.len(), 1, "the released permit starts the waiting job");
    assert!(was_blocked);
}

#[tokio::test]
async fn a_job_whose_lease_would_run_out_is_not_started() {
    let lanes = lanes(1, 5);
    let w = webhook("wh_a").await;
    // The lease ends in 1 s, less than the webhook's timeout: never start it.
    let short = Instant::now() + Duration::from_secs(1);
    let started = lanes.admit(job(&w), short).map_err(|_| ()).unwrap();
    assert!(started.is_empty());
    assert!(lanes.full().is_empty());
    assert_eq!(
        lanes.drain_waiting(),
        0,
        "the job was dropped, not kept waiting"
    );
}

#[tokio::test]
async fn a_rate_limited_job_keeps_its_longest_slot_wait_in_reserve() {
    let lanes = lanes(2, 5);
    let plain = webhook("wh_plain").await;
    let mut limited = webhook("wh_limited").await;
    limited.rate_limit_per_second = Some(1);
    // 30 s of lease left: enough for a 10 s timeout and the 5 s margin, not
    // for a 20 s wait for a send slot on top.
    let ends = Instant::now() + Duration::from_secs(30);
    let started = lanes.admit(job(&plain), ends).map_err(|_| ()).unwrap();
    assert_eq!(started.len(), 1);
    let started = lanes.admit(job(&limited), ends).map_err(|_| ()).unwrap();
    assert!(started.is_empty(), "its attempt could outlive the lease");
    let ends = Instant::now() + Duration::from_secs(40);
    let started = lanes.admit(job(&limited), ends).map_err(|_| ()).unwrap();
    assert_eq!(started.len(), 1, "35 s of reserve fits in 40 s");
}

#[tokio::test]
async fn a_lease_shorter_than_the_timeout_still_starts_a_fresh_job() {
    let lease = Duration::from_secs(3);
    let lanes = Lanes::new(Capacity {
        lease,
        per_webhook: 1,
        waiting_per_webhook: 5,
        in_flight: 100,
        claim_reserve: 0,
        waiting: 100,
    });
    let w = webhook("wh_a").await;
    let started = lanes
        .admit(job(&w), Instant::now() + lease)
        .map_err(|_| ())
        .unwrap();
    assert_eq!(started.len(), 1, "half the lease is left: start it");
}

#[tokio::test]
async fn the_drain_estimate_follows_the_measured_exchange_time() {
    let lanes = lanes(1, 1);
    let w = webhook("wh_a").await;
    let running = lanes.admit(job(&w), later()).map_err(|_| ()).unwrap();
    lanes.admit(job(&w), later()).map_err(|_| ()).unwrap();
    drop(running);
    // 40 ms measured; one job now runs, the lane holds one: full again after one more.
    let (next, _) = lanes.finished("wh_a", Duration::from_millis(40));
    assert_eq!(next.len(), 1);
    lanes.admit(job(&w), later()).map_err(|_| ()).unwrap();
    let Err(wait) = lanes.reserve("wh_a", Duration::from_secs(30)) else {
        panic!("the lane should be full");
    };
    assert_eq!(wait, Duration::from_millis(80));
}

#[tokio::test]
async fn a_freed_permit_goes_to_a_lane_with_claimed_jobs_before_earlier_blocked_ones() {
    // 8 permits, 1 kept for claimed jobs.
    let lanes = Lanes::new(Capacity {
        in_flight: 8,
        claim_reserve: 1,
        ..capacity(10, 10)
    });
    let (a, b) = (webhook("wh_a").await, webhook("wh_b").await);
    let mut running = Vec::new();
    for _ in 0..8 {
        lanes.reserve("wh_a", Duration::from_secs(1)).unwrap();
        running.extend(lanes.fill(job(&a), later()));
    }
    assert_eq!(running.len(), 7, "the publishes leave one permit");
    running.extend(lanes.admit(job(&b), later()).map_err(|_| ()).unwrap());
    assert_eq!(running.len(), 8, "a claimed job takes the reserved one");
    // Both lanes now wait for a permit, wh_a's publish first.
    let claimed = job(&b);
    let claimed_id = claimed.delivery.id.clone();
    assert!(lanes
        .admit(claimed, later())
        .map_err(|_| ())
        .unwrap()
        .is_empty());
    drop(running.pop());
    let (next, _) = lanes.released();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].job.delivery.id, claimed_id);
    drop(next);
    let (next, _) = lanes.released();
    assert!(
        next.is_empty(),
        "one free permit is the reserve: wh_a's publish waits"
    );
    drop(running.pop());
    let (next, _) = lanes.released();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].job.webhook.id, "wh_a");
}
