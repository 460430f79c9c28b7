//! Send slots of rate-limited webhooks: how many a store hands out per second.
//!
//! Each request to a webhook with `rate_limit_per_second` first takes a slot
//! (one upsert on the webhook's row of `webhook_send_slots`), so this bounds
//! the highest limit a node can actually reach, and is what the writes cost.
//! `--tasks` concurrent takers (as a node's attempt tasks would) take
//! `--takes` slots in all, on one webhook.
//!
//! ```text
//! cargo bench -p hookwire --features testing --bench send_slots -- [--backend sqlite|postgres] [--takes N] [--tasks T]
//! ```

use std::sync::Arc;
use std::time::Instant;

use hookwire::clock;
use hookwire::model::{ApiKey, RetryPolicy, Tenant, Webhook, WebhookDraft, WebhookSpec};
use hookwire::net::UrlPolicy;
use hookwire::store::{self, SendSlot};
use hookwire::testing::TestDatabase;

#[path = "common/args.rs"]
mod args;
use args::Args;

#[tokio::main]
async fn main() {
    let args = Args::from_env();
    let takes: usize = args.get("--takes", 5_000);
    let tasks: usize = args.get("--tasks", 10).max(1);
    let backend = args.backend();
    let db = TestDatabase::create(backend)
        .await
        .expect("a database for the benchmark");
    let store = store::open(&db.url).await.expect("open store");
    let t = Tenant::new("bench").expect("tenant");
    let (k, _) = ApiKey::generate(&t.id);
    store.create_tenant(&t, &k).await.expect("create tenant");
    let draft = WebhookDraft {
        url: "https://93.184.216.34/".into(),
        events: vec!["*".into()],
        rate_limit_per_second: Some(10_000),
        ..Default::default()
    };
    let spec = WebhookSpec::validate(draft, RetryPolicy::default(), &UrlPolicy::default(), |_| {
        true
    })
    .await
    .expect("valid webhook");
    let w = Webhook::create(Some(&t.id), spec);
    store.insert_webhook(&w).await.expect("insert webhook");

    let id = Arc::new(w.id);
    let started = Instant::now();
    let mut handles = Vec::new();
    for task in 0..tasks {
        let (store, id) = (store.clone(), id.clone());
        let mine = takes / tasks + usize::from(task < takes % tasks);
        handles.push(tokio::spawn(async move {
            for _ in 0..mine {
                let slot = store.take_send_slot(&id, 100, clock::now(), None).await;
                assert!(matches!(slot, Ok(SendSlot::At(_))), "{slot:?}");
            }
        }));
    }
    for h in handles {
        h.await.expect("taker");
    }
    let took = started.elapsed();
    println!(
        "backend {backend:?}: {takes} slots by {tasks} tasks in {took:.2?}: {:.0} slots/s, {:.0} us each",
        takes as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / takes as f64
    );
}
