//! Payload filters: an event reaches a webhook only when its body matches the
//! webhook's filter — at publish, at replay and for config-file webhooks; a
//! bad filter is refused naming its path and changes nothing.

use hookwire::model::WebhookDraft;
use hookwire::testing::Backend;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, str_of, ResponseExt};
use crate::receiver::Receiver;

hookwire::backend_tests!(
    a_filter_decides_which_events_reach_a_webhook,
    a_bad_filter_is_refused_naming_its_path_and_changes_nothing,
    a_config_file_webhook_filters_too,
);

fn webhooks_of(published: &Value) -> Vec<String> {
    let mut ids: Vec<String> = published["deliveries"]
        .as_array()
        .map(|ds| ds.iter().map(|d| str_of(&d["webhook_id"])).collect())
        .unwrap_or_default();
    ids.sort();
    ids
}

async fn a_filter_decides_which_events_reach_a_webhook(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    let (_, key) = app.tenant("acme").await;
    let big_filter = json!({"data.amount": {"$gte": 100}, "data.country": {"$in": ["DE", "AT"]}});
    let big = app
        .webhook(&key, json!({ "url": rx.url("/big"), "filter": big_filter }))
        .await;
    assert_eq!(big["filter"], big_filter, "shown exactly as given");
    let eu = app
        .webhook(
            &key,
            json!({ "url": rx.url("/eu"), "filter": {"$or": [{"channel": "eu"}, {"data.vip": true}]} }),
        )
        .await;
    let all = app.webhook(&key, json!({ "url": rx.url("/all") })).await;
    assert_eq!(all["filter"], Value::Null);
    let (big_id, eu_id, all_id) = (str_of(&big["id"]), str_of(&eu["id"]), str_of(&all["id"]));

    let publish = |data: Value, channel: Option<&str>| {
        let mut body = json!({ "type": "webhook.test", "data": data });
        if let Some(c) = channel {
            body["channel"] = json!(c);
        }
        app.publish(&key, body)
    };
    let small = publish(json!({"amount": 50, "country": "DE"}), None).await;
    assert_eq!(webhooks_of(&small), vec![all_id.clone()]);
    let large_eu = publish(json!({"amount": 150, "country": "AT"}), Some("eu")).await;
    let mut want = vec![big_id.clone(), eu_id.clone(), all_id.clone()];
    want.sort();
    assert_eq!(webhooks_of(&large_eu), want);
    let vip_fr = publish(json!({"amount": 900, "country": "FR", "vip": true}), None).await;
    let mut want = vec![eu_id.clone(), all_id.clone()];
    want.sort();
    assert_eq!(webhooks_of(&vip_fr), want);

    // What the receivers got: each event where its filter let it through.
    let ids = |got: Vec<crate::receiver::Received>| {
        let mut ids: Vec<String> = got
            .iter()
            .map(|r| r.headers["webhook-id"].to_str().unwrap_or("").to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(
        ids(rx.wait_for("/big", 1).await),
        vec![str_of(&large_eu["id"])]
    );
    let mut want = vec![str_of(&large_eu["id"]), str_of(&vip_fr["id"])];
    want.sort();
    assert_eq!(ids(rx.wait_for("/eu", 2).await), want);
    assert_eq!(ids(rx.wait_for("/all", 3).await).len(), 3);

    // A replay follows today's filters; a named webhook whose filter refuses
    // the event is refused.
    let replay = format!("/api/v1/events/{}/replay", str_of(&small["id"]));
    let again = app.post(&replay, &key, json!({})).await.json_ok(202).await;
    assert_eq!(webhooks_of(&again), vec![all_id.clone()]);
    let refused = app
        .post(&replay, &key, json!({ "webhook_id": big_id }))
        .await
        .error(422, "invalid_field")
        .await;
    assert_eq!(refused["field"], "webhook_id");

    // PATCH null removes the filter; PATCH without it keeps it; PUT without
    // it removes it.
    let path = format!("/api/v1/webhooks/{big_id}");
    let kept = app
        .patch(&path, &key, json!({ "name": "big orders" }))
        .await
        .json_ok(200)
        .await;
    assert_eq!(kept["filter"], big_filter);
    let cleared = app
        .patch(&path, &key, json!({ "filter": null }))
        .await
        .json_ok(200)
        .await;
    assert_eq!(cleared["filter"], Value::Null);
    let tiny = publish(json!({"amount": 1}), None).await;
    assert!(
        webhooks_of(&tiny).contains(&big_id),
        "no filter: every event"
    );
    let refiltered = app
        .patch(
            &path,
            &key,
            json!({ "filter": {"data.amount": {"$gt": 1000}} }),
        )
        .await
        .json_ok(200)
        .await;
    assert_eq!(refiltered["filter"], json!({"data.amount": {"$gt": 1000}}));
    let read = app.get(&path, &key).await.json_ok(200).await;
    assert_eq!(read["filter"], refiltered["filter"], "stored");
    let replaced = app
        .put(
            &path,
            &key,
            json!({ "url": rx.url("/big"), "events": ["*"] }),
        )
        .await
        .json_ok(200)
        .await;
    assert_eq!(replaced["filter"], Value::Null);
}

async fn a_bad_filter_is_refused_naming_its_path_and_changes_nothing(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let base = json!({ "url": "https://93.184.216.34/hook", "events": ["*"] });
    let long_path = format!("data{}", ".x".repeat(32));
    let cases: Vec<(Value, String)> = [
        (json!([1, 2]), "filter"),
        (json!("data.amount > 5"), "filter"),
        (
            json!({"data.amount": {"$gtt": 5}}),
            "filter.data.amount.$gtt",
        ),
        (
            json!({"data.amount": {"$gt": [5]}}),
            "filter.data.amount.$gt",
        ),
        (json!({"data.tags": {"$in": "vip"}}), "filter.data.tags.$in"),
        (
            json!({"$or": [{"data.a": 1}, {"data.b": {"$exists": 1}}]}),
            "filter.$or[1].data.b.$exists",
        ),
        (json!({"payload.amount": 1}), "filter.payload.amount"),
        (
            json!({"data.a": {"$in": vec!["x".repeat(64); 70]}}),
            "filter",
        ),
    ]
    .into_iter()
    .map(|(f, p)| (f, p.to_owned()))
    .chain([(
        json!({ long_path.clone(): 1 }),
        format!("filter.{long_path}"),
    )])
    .collect();
    for (filter, field) in &cases {
        let mut body = base.clone();
        body["filter"] = filter.clone();
        let err = app
            .post("/api/v1/webhooks", &key, body)
            .await
            .error(422, "invalid_field")
            .await;
        assert_eq!(err["field"], json!(field), "{filter}: {err}");
    }
    let list = app.get("/api/v1/webhooks", &key).await.json_ok(200).await;
    assert_eq!(list["data"], json!([]), "nothing was created");

    let good = json!({"data.amount": {"$lt": 10}});
    let w = app.webhook(&key, json!({ "filter": good })).await;
    let path = format!("/api/v1/webhooks/{}", str_of(&w["id"]));
    let err = app
        .patch(
            &path,
            &key,
            json!({ "filter": {"data.amount": {"$lt": true}}, "name": "x" }),
        )
        .await
        .error(422, "invalid_field")
        .await;
    assert_eq!(err["field"], "filter.data.amount.$lt");
    let mut put = base.clone();
    put["filter"] = json!({"$not": 3});
    let err = app
        .put(&path, &key, put)
        .await
        .error(422, "invalid_field")
        .await;
    assert_eq!(err["field"], "filter.$not");
    let read = app.get(&path, &key).await.json_ok(200).await;
    assert_eq!(
        (read["filter"].clone(), read["name"].clone()),
        (good, Value::Null),
        "unchanged"
    );
}

async fn a_config_file_webhook_filters_too(b: Backend) {
    let rx = Receiver::start().await;
    let global = WebhookDraft {
        url: rx.url("/global"),
        events: vec!["webhook.test".into()],
        filter: Some(json!({"data.priority": "high"})),
        secret: Some("global-secret-value".into()),
        ..Default::default()
    };
    let Some(app) = spawn_app_with(b, |c| c.webhooks = vec![global]).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let low = app
        .publish(
            &key,
            json!({ "type": "webhook.test", "data": { "priority": "low" } }),
        )
        .await;
    assert_eq!(low["deliveries"], json!([]));
    let high = app
        .publish(
            &key,
            json!({ "type": "webhook.test", "data": { "priority": "high" } }),
        )
        .await;
    let got = rx.wait_for("/global", 1).await;
    assert_eq!(
        got[0].headers["webhook-id"].to_str().unwrap(),
        str_of(&high["id"])
    );
}
