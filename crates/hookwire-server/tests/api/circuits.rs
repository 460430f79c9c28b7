//! Circuit breakers end to end: a receiver that is down for 5 s opens its
//! webhook's circuit; while it is open nothing is sent but one probe per
//! open period; when the receiver is back the probe closes it and every
//! queued delivery is delivered, with attempt counts that match what the
//! receiver saw.

use std::collections::HashMap;
use std::time::Duration;

use hookwire::testing::Backend;
use serde_json::{json, Value};

use crate::helpers::{scrape, spawn_app_with, str_of, ResponseExt, TestApp, ADMIN};
use crate::receiver::{Answer, Receiver};

hookwire::backend_tests!(
    a_dead_receiver_opens_the_circuit_and_its_deliveries_wait_without_attempts,
    a_receiver_that_answers_4xx_is_up_and_its_circuit_stays_closed,
    the_dashboard_shows_an_open_circuit_and_a_test_send_or_enabling_closes_it,
);

const EVENTS: usize = 8;

async fn circuit(app: &TestApp, key: &str, webhook_id: &str) -> Value {
    app.get(&format!("/api/v1/webhooks/{webhook_id}"), key)
        .await
        .json_ok(200)
        .await["circuit"]
        .clone()
}

/// Wait (up to 15 s) until the webhook's circuit is in `state`.
async fn wait_state(app: &TestApp, key: &str, webhook_id: &str, state: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let c = circuit(app, key, webhook_id).await;
        if c["state"] == state {
            return c;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "circuit never {state}: {c}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_dead_receiver_opens_the_circuit_and_its_deliveries_wait_without_attempts(b: Backend) {
    // One attempt at a time to the webhook, so none is in flight when the
    // circuit opens: every request after that is a probe.
    let Some(app) = spawn_app_with(b, |c| {
        c.circuit_failure_threshold = 3;
        c.circuit_open_seconds = 1;
        c.max_in_flight_per_webhook = 1;
    })
    .await
    else {
        return;
    };
    let receiver = Receiver::start().await;
    let ops = app
        .post(
            "/api/v1/operational-webhooks",
            ADMIN,
            json!({ "url": receiver.url("/ops"), "events": ["hookwire.webhook.circuit_opened"] }),
        )
        .await
        .json_ok(201)
        .await;
    let (_, key) = app.tenant("acme").await;
    app.event_types(&["order.paid"]).await;
    let w = app
        .webhook(
            &key,
            json!({ "url": receiver.url("/down"),
                    "retry": { "max_attempts": 20, "initial_delay_ms": 200, "max_delay_ms": 200 } }),
        )
        .await;
    let id = str_of(&w["id"]);
    assert_eq!(
        w["circuit"],
        json!({ "state": "closed", "opened_at": null, "next_probe_at": null })
    );
    receiver.down_for("/down", Duration::from_secs(5));
    let mut deliveries = Vec::new();
    for i in 0..EVENTS {
        let published = app
            .publish(&key, json!({ "type": "order.paid", "data": { "n": i } }))
            .await;
        deliveries.push(str_of(&published["deliveries"][0]["id"]));
    }

    let open = wait_state(&app, &key, &id, "open").await;
    let at_opening = receiver.at("/down").len();
    // A failed attempt holds the lane's one place until it is counted: the
    // third failure in a row opened the circuit before a fourth could start.
    assert_eq!(at_opening, 3, "requests before the circuit opened");
    assert!(open["opened_at"].is_string() && open["next_probe_at"].is_string());
    let opened = event_of(&receiver, "/ops").await;
    assert_eq!(opened["data"]["webhook_id"], id.as_str());
    assert_eq!(opened["data"]["last_error"], "HTTP 503");
    assert_eq!(opened["data"]["next_probe_at"], open["next_probe_at"]);
    // The gauge follows the store's circuits within a refresh (a second).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        let metrics = app.get("/metrics", ADMIN).await.text().await.unwrap();
        let open = scrape(&metrics).get("hookwire_circuit_open").copied();
        if open == Some(1.0) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "gauge {open:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The receiver comes back after 5 s; the next probe finds it and
    // everything queued follows.
    // Probes 1, 2, 4, 8 s apart: the one that finds it back comes within
    // 13 s of the opening.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    for d in &deliveries {
        loop {
            let got = app
                .get(&format!("/api/v1/deliveries/{d}"), &key)
                .await
                .json_ok(200)
                .await;
            if got["status"] == "delivered" {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never delivered: {got}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    wait_state(&app, &key, &id, "closed").await;

    let requests = receiver.at("/down");
    let failed = requests.len() - EVENTS;
    // Probes at 1, 3 s (open 1 s, then 2 s, then 4 s) fail inside the 5 s:
    // a few requests, not the dozens 8 deliveries retried every 200 ms make.
    let probes = failed - at_opening;
    assert!(
        (1..=3).contains(&probes),
        "{probes} probes while open (requests: {})",
        requests.len()
    );
    for pair in requests[at_opening..at_opening + probes].windows(2) {
        assert!(
            pair[1].at - pair[0].at >= Duration::from_millis(900),
            "probes one open period apart at least"
        );
    }
    // Every attempt the history counts reached the receiver, and no more.
    let mut seen: HashMap<String, u32> = HashMap::new();
    for r in &requests {
        let delivery = r.headers["x-webhook-delivery"].to_str().unwrap();
        *seen.entry(delivery.to_owned()).or_default() += 1;
    }
    for d in &deliveries {
        let got = app
            .get(&format!("/api/v1/deliveries/{d}"), &key)
            .await
            .json_ok(200)
            .await;
        assert_eq!(
            got["attempt_count"].as_u64(),
            seen.get(d).map(|n| u64::from(*n)),
            "{d}: attempts counted = requests received"
        );
    }
    let sum: u32 = seen.values().sum();
    assert_eq!(sum as usize, requests.len());
    drop(ops);
}

/// The first signed body at `path` (the operational endpoint).
async fn event_of(receiver: &Receiver, path: &str) -> Value {
    let got = receiver.wait_for(path, 1).await;
    serde_json::from_slice(&got[0].body).unwrap()
}

async fn a_receiver_that_answers_4xx_is_up_and_its_circuit_stays_closed(b: Backend) {
    let Some(app) = spawn_app_with(b, |c| c.circuit_failure_threshold = 2).await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.script("/refuses", vec![Answer::Status(400); 4]);
    let (_, key) = app.tenant("acme").await;
    app.event_types(&["order.paid"]).await;
    let w = app
        .webhook(
            &key,
            json!({ "url": receiver.url("/refuses"), "retry": { "max_attempts": 1 } }),
        )
        .await;
    let mut deliveries = Vec::new();
    for _ in 0..4 {
        let published = app
            .publish(&key, json!({ "type": "order.paid", "data": {} }))
            .await;
        deliveries.push(str_of(&published["deliveries"][0]["id"]));
    }
    for d in &deliveries {
        app.wait_delivery(&key, d, |d| d["status"] == "failed")
            .await;
    }
    assert_eq!(receiver.at("/refuses").len(), 4, "every delivery attempted");
    let c = circuit(&app, &key, &str_of(&w["id"])).await;
    assert_eq!(c["state"], "closed", "{c}");
    assert!(app
        .hookwire
        .store()
        .circuits(None)
        .await
        .unwrap()
        .is_empty());
}

/// Open `webhook_id`'s circuit as `threshold` counted failures would.
async fn open_circuit(app: &TestApp, webhook_id: &str, threshold: u32) {
    let settings = hookwire::model::CircuitSettings {
        failure_threshold: threshold,
        open_seconds: 3_600,
    };
    for _ in 0..threshold {
        app.hookwire
            .store()
            .circuit_failed(webhook_id, false, settings, chrono::Utc::now())
            .await
            .unwrap();
    }
}

async fn the_dashboard_shows_an_open_circuit_and_a_test_send_or_enabling_closes_it(b: Backend) {
    let Some(app) = spawn_app_with(b, |c| c.circuit_failure_threshold = 2).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let (_, key) = app.tenant("acme").await;
    app.event_types(&["order.paid"]).await;
    let w = app
        .webhook(&key, json!({ "url": receiver.url("/up") }))
        .await;
    let id = str_of(&w["id"]);
    open_circuit(&app, &id, 2).await;
    // Opened behind the worker's back: it sees the circuit at its next
    // re-read, within a second.
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    // Published while open: it waits for the probe, an hour off.
    let published = app
        .publish(&key, json!({ "type": "order.paid", "data": {} }))
        .await;
    let delivery = str_of(&published["deliveries"][0]["id"]);

    let page = |path: String| {
        let app = &app;
        let key = key.clone();
        async move {
            app.client
                .get(format!("{}{path}", app.base))
                .header(reqwest::header::COOKIE, app.ui_session(&key).await)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let list = page("/ui/webhooks".into()).await;
    assert!(
        list.contains(r#"data-testid="circuit""#) && list.contains("circuit open"),
        "{list}"
    );
    let detail = page(format!("/ui/webhooks/{id}")).await;
    assert!(
        detail.contains(r#"data-testid="circuit-notice""#),
        "{detail}"
    );
    assert!(
        detail.contains("2 attempts in a row found the receiver down"),
        "{detail}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.at("/up").is_empty(), "nothing sent while open");

    // A successful test send closes it, and the waiting delivery goes at once.
    app.post(&format!("/api/v1/webhooks/{id}/test"), &key, json!({}))
        .await
        .json_ok(200)
        .await;
    assert_eq!(circuit(&app, &key, &id).await["state"], "closed");
    app.wait_delivery(&key, &delivery, |d| d["status"] == "delivered")
        .await;
    let detail = page(format!("/ui/webhooks/{id}")).await;
    assert!(!detail.contains(r#"data-testid="circuit""#), "{detail}");

    // Enabling a disabled webhook closes its circuit too.
    open_circuit(&app, &id, 2).await;
    assert_eq!(circuit(&app, &key, &id).await["state"], "open");
    for active in [false, true] {
        app.patch(
            &format!("/api/v1/webhooks/{id}"),
            &key,
            json!({ "is_active": active }),
        )
        .await
        .json_ok(200)
        .await;
    }
    assert_eq!(circuit(&app, &key, &id).await["state"], "closed");
}
