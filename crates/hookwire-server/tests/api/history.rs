//! Statistics, metrics, history filters over many deliveries, readiness.

use hookwire::testing::Backend;
use serde_json::{json, Value};

use crate::helpers::{metric_sum, scrape, spawn_app, str_of, ResponseExt, TestApp};
use crate::receiver::{Answer, Receiver};

hookwire::backend_tests!(
    stats_report_a_known_mix_of_outcomes,
    metrics_move_as_deliveries_happen,
    history_pages_and_filters_hundreds_of_deliveries,
    readiness_reports_the_database_and_the_worker,
);

async fn publish_and_settle(app: &TestApp, key: &str, body: Value) -> Value {
    let e = app.publish(key, body).await;
    for d in e["deliveries"].as_array().unwrap() {
        let id = str_of(&d["id"]);
        app.wait_delivery(key, &id, |d| {
            d["status"] == "delivered" || d["status"] == "failed"
        })
        .await;
    }
    e
}

async fn stats_report_a_known_mix_of_outcomes(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/bad", vec![Answer::Status(500); 10]);
    app.event_types(&["a.ok", "a.bad"]).await;
    let (_, key) = app.tenant("acme").await;
    let (_, other) = app.tenant("other").await;
    let good = app
        .webhook(&key, json!({ "url": rx.url("/good"), "events": ["a.ok"] }))
        .await;
    let bad = app
        .webhook(
            &key,
            json!({ "url": rx.url("/bad"), "events": ["a.bad"],
                                        "retry": { "max_attempts": 1 } }),
        )
        .await;
    for _ in 0..3 {
        publish_and_settle(&app, &key, json!({ "type": "a.ok", "data": {} })).await;
    }
    publish_and_settle(&app, &key, json!({ "type": "a.bad", "data": {} })).await;

    let path = format!("/api/v1/webhooks/{}/stats", str_of(&good["id"]));
    let g = app.get(&path, &key).await.json_ok(200).await;
    assert_eq!(
        (
            g["total"].clone(),
            g["delivered"].clone(),
            g["failed"].clone()
        ),
        (json!(3), json!(3), json!(0))
    );
    assert_eq!(g["pending"], 0);
    assert_eq!(g["success_rate"], 100.0);
    assert!(g["avg_duration_ms"].as_f64().is_some());
    assert!(g["last_delivery_at"].is_string());
    let bpath = format!("/api/v1/webhooks/{}/stats?window=1h", str_of(&bad["id"]));
    let bs = app.get(&bpath, &key).await.json_ok(200).await;
    assert_eq!(
        (bs["failed"].clone(), bs["success_rate"].clone()),
        (json!(1), json!(0.0))
    );

    let t = app
        .get("/api/v1/stats?window=24h", &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(
        (
            t["total"].clone(),
            t["delivered"].clone(),
            t["failed"].clone()
        ),
        (json!(4), json!(3), json!(1))
    );
    assert_eq!(t["success_rate"], 75.0);
    assert_eq!(t["retry_queue_size"], 0);
    assert_eq!(
        t["top_failing"],
        json!([{ "webhook_id": bad["id"], "url": bad["url"], "failures": 1 }])
    );

    // The dashboard's webhook list shows the same 24 h success rates (read for
    // the whole page in one query).
    let list = app
        .client
        .get(format!("{}/ui/webhooks", app.base))
        .header("cookie", app.ui_session(&key).await)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row = |id: &Value| {
        let id = str_of(id);
        let at = list.find(&format!("/ui/webhooks/{id}")).expect("listed");
        let end = list[at..].find("</tr>").map_or(list.len(), |e| at + e);
        list[at..end].to_owned()
    };
    assert!(row(&good["id"]).contains("100.0 %"), "{}", row(&good["id"]));
    let bad_row = row(&bad["id"]);
    assert!(
        bad_row.contains(">0.0 %") && !bad_row.contains("100.0 %"),
        "{bad_row}"
    );

    let empty = app.get("/api/v1/stats", &other).await.json_ok(200).await;
    assert_eq!(
        (empty["total"].clone(), empty["success_rate"].clone()),
        (json!(0), json!(null))
    );
    app.get(&path, &other).await.error(404, "not_found").await;
    app.get("/api/v1/stats?window=soon", &key)
        .await
        .error(422, "invalid_field")
        .await;
    app.get("/api/v1/stats?window=400d", &key)
        .await
        .error(422, "invalid_field")
        .await;
}

async fn metrics_move_as_deliveries_happen(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/f", vec![Answer::Status(500); 10]);
    let (_, key) = app.tenant("acme").await;
    app.webhook(&key, json!({ "url": rx.url("/m") })).await;
    let failing = app
        .webhook(
            &key,
            json!({ "url": rx.url("/f"), "retry": { "max_attempts": 1 } }),
        )
        .await;
    let get = || async {
        let resp = app
            .client
            .get(format!("{}/metrics", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        scrape(&resp.text().await.unwrap())
    };
    let before = get().await;
    for _ in 0..2 {
        publish_and_settle(&app, &key, json!({ "type": "webhook.test", "data": {} })).await;
    }
    let after = get().await;
    let delta = |name: &str, label: &str| {
        metric_sum(&after, name, label) - metric_sum(&before, name, label)
    };
    assert_eq!(delta("hookwire_events_published_total", ""), 2.0);
    assert_eq!(
        delta("hookwire_attempts_total", "outcome=\"delivered\""),
        2.0
    );
    assert_eq!(
        delta(
            "hookwire_deliveries_completed_total",
            "outcome=\"delivered\""
        ),
        2.0
    );
    assert_eq!(delta("hookwire_attempt_duration_seconds_count", ""), 4.0);
    assert_eq!(delta("hookwire_attempts_total", "outcome=\"failed\""), 2.0);
    let label = format!("webhook_id=\"{}\"", str_of(&failing["id"]));
    assert_eq!(delta("hookwire_webhook_failures_total", &label), 2.0);
    assert_eq!(
        delta("hookwire_http_requests_total", "route=\"/api/v1/events\""),
        2.0,
        "publishes counted by route template"
    );
    assert!(after
        .keys()
        .any(|k| k.starts_with("hookwire_http_request_duration_seconds_bucket")));
    assert!(after.contains_key("hookwire_queue_depth{state=\"due\"}"));
    assert!(after.contains_key("hookwire_queue_depth{state=\"scheduled\"}"));
    assert!(after
        .keys()
        .any(|k| k.starts_with("hookwire_deliveries_in_flight")));
    assert!(
        !after.keys().any(|k| k.contains("whsec_")),
        "a secret leaked into metrics"
    );
}

async fn history_pages_and_filters_hundreds_of_deliveries(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    app.event_types(&["order.paid", "order.refunded"]).await;
    let (_, key) = app.tenant("acme").await;
    let hook = app
        .webhook(&key, json!({ "url": rx.url("/h"), "events": ["order.*"] }))
        .await;
    let mut published = Vec::new();
    for n in 0..300 {
        let t = if n % 3 == 0 {
            "order.refunded"
        } else {
            "order.paid"
        };
        let channel = if n % 2 == 0 { "eu" } else { "us" };
        let e = app
            .publish(
                &key,
                json!({ "type": t, "data": { "n": n }, "channel": channel }),
            )
            .await;
        published.push(e);
    }
    let middle = str_of(&published[150]["created_at"]);
    rx.wait_for("/h", 300).await;

    let base = format!("/api/v1/webhooks/{}/deliveries", str_of(&hook["id"]));
    let walk = |first: String| {
        let app = &app;
        let key = key.clone();
        async move {
            let mut ids = Vec::new();
            let mut path = first.clone();
            loop {
                let page = app.get(&path, &key).await.json_ok(200).await;
                ids.extend(
                    page["data"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|d| str_of(&d["id"])),
                );
                match page["next_cursor"].as_str() {
                    Some(c) => path = format!("{first}&cursor={c}"),
                    None => return ids,
                }
            }
        }
    };
    let all = walk(format!("{base}?limit=70")).await;
    assert_eq!(all.len(), 300);
    let mut sorted = all.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(all, sorted, "newest first, no duplicates across pages");
    sorted.dedup();
    assert_eq!(sorted.len(), 300);

    let refunded = walk(format!("{base}?event_type=order.refunded&limit=33")).await;
    assert_eq!(refunded.len(), 100);
    let since = walk(format!("{base}?since={middle}&limit=100")).await;
    assert!((145..=155).contains(&since.len()), "since: {}", since.len());
    let until = walk(format!("{base}?until={middle}&limit=100")).await;
    assert_eq!(since.len() + until.len(), 300);

    let events_eu = walk("/api/v1/events?channel=eu&limit=90".to_owned()).await;
    assert_eq!(events_eu.len(), 150);
    let paid_us = walk("/api/v1/events?type=order.paid&channel=us&limit=250".to_owned()).await;
    assert_eq!(paid_us.len(), 100);
    app.get(&format!("{base}?since=yesterday"), &key)
        .await
        .error(422, "invalid_field")
        .await;
}

async fn readiness_reports_the_database_and_the_worker(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let resp = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    let body = resp.json_ok(200).await;
    assert_eq!(
        body,
        json!({ "status": "ok", "database": "ok", "worker": "ok" })
    );
}
