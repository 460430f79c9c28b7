//! What the benchmark sends: the events its publishers post (how many, how
//! fast, on which channel, over how many ordering keys) and the payload
//! filter its webhooks may carry.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::{json, Value};

use super::BenchArgs;

/// A filter of `clauses` conditions the benchmark's events all pass, mixing
/// the operators a real filter uses.
pub(super) fn passing_filter(clauses: usize) -> Value {
    let kinds = [
        ("data.n", json!({ "$gte": 0 })),
        ("type", json!("webhook.test")),
        ("data.n", json!({ "$exists": true })),
        ("type", json!({ "$in": ["order.paid", "webhook.test"] })),
        ("data.source", json!({ "$ne": "replay" })),
        ("type", json!({ "$startsWith": "webhook." })),
    ];
    let all: Vec<Value> = (0..clauses)
        .map(|i| {
            let (path, test) = &kinds[i % kinds.len()];
            json!({ *path: test })
        })
        .collect();
    json!({ "$and": all })
}

/// What the publishers send: how many events, how fast, on which channel,
/// over how many ordering keys.
pub(super) struct Load {
    pub(super) events: usize,
    pub(super) rate: u64,
    pub(super) publishers: usize,
    pub(super) channel: Option<&'static str>,
    pub(super) ordering_keys: usize,
}

impl Load {
    pub(super) fn of(args: &BenchArgs) -> Self {
        Self {
            events: args.events,
            rate: args.rate,
            publishers: args.publishers,
            channel: (args.bulk_retry > 0).then_some("live"),
            ordering_keys: args.ordering_keys,
        }
    }

    /// The body of event `n`.
    fn event(&self, n: u64) -> Value {
        let mut body = json!({ "type": "webhook.test", "data": { "n": n } });
        if let Some(channel) = self.channel {
            body["channel"] = json!(channel);
        }
        if self.ordering_keys > 0 {
            body["ordering_key"] = json!(format!("k{}", n % self.ordering_keys as u64));
        }
        body
    }
}

/// Publish `load`; each publish's time to its 202, in µs.
pub(super) async fn publish_all(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    load: &Load,
) -> anyhow::Result<Vec<u64>> {
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let bodies: Arc<Vec<Value>> =
        Arc::new((0..load.events as u64).map(|n| load.event(n)).collect());
    let mut tasks = Vec::new();
    for _ in 0..load.publishers {
        let (client, url, key, next, bodies) = (
            client.clone(),
            format!("{base}/api/v1/events"),
            key.to_owned(),
            next.clone(),
            bodies.clone(),
        );
        let rate = load.rate;
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(n as usize) else {
                    return Ok::<_, anyhow::Error>(times);
                };
                if rate > 0 {
                    let due = started + Duration::from_secs_f64(n as f64 / rate as f64);
                    tokio::time::sleep_until(due.into()).await;
                }
                let t = Instant::now();
                let resp = client
                    .post(&url)
                    .bearer_auth(&key)
                    .json(body)
                    .send()
                    .await?;
                if resp.status() != 202 {
                    bail!("publish answered {}", resp.status());
                }
                times.push(t.elapsed().as_micros() as u64);
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}
