//! `hookwire demo`: the whole loop on a fresh machine, nothing to configure.
//!
//! Starts hookwire on a temporary SQLite database, a local receiver that verifies
//! signatures, creates a tenant and a webhook through the API, publishes events
//! (the receiver fails one first attempt so a retry shows), prints each delivery
//! as it lands, and ends with statistics and commands to keep exploring.

use std::time::Duration;

use anyhow::{bail, Context as _};
use hookwire::model::EventType;
use hookwire::secret::{generate_token, WebhookSecret};
use hookwire::{Worker, WorkerOptions};
use reqwest::Method;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::client::{table, ApiArgs};
use super::listen::{lock, Receiver};
use crate::app::App;
use crate::config::Config;

const EVENTS: &[(&str, &str)] = &[
    (
        "artifact.completed",
        r#"{"notebook_id": "nb_1", "artifact_id": "a_1", "type": "audio"}"#,
    ),
    (
        "source.ready",
        r#"{"notebook_id": "nb_1", "source_id": "s_9"}"#,
    ),
    (
        "notebook.created",
        r#"{"notebook_id": "nb_2", "title": "Q3 research"}"#,
    ),
    (
        "artifact.completed",
        r#"{"notebook_id": "nb_2", "artifact_id": "a_2", "type": "report"}"#,
    ),
];

/// Run the demo; with `exit`, stop once the tour is done instead of serving on.
pub async fn run(exit: bool) -> anyhow::Result<()> {
    println!("hookwire demo: the whole delivery loop on this machine\n");
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("demo.db");
    let admin = generate_token();
    let config = Config {
        database_url: format!("sqlite://{}", db.display()),
        admin_token: Some(admin.clone()),
        allow_http: true,
        allow_private_networks: true,
        event_types: EVENTS
            .iter()
            .map(|(name, _)| EventType::new(name, "demo event"))
            .collect::<Result<_, _>>()?,
        ..Config::default()
    };
    let app = App::build(&config).await.context("starting hookwire")?;
    let stop = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let worker = Worker::new(
        &app.hookwire,
        WorkerOptions {
            poll_interval: Duration::from_millis(100),
            ..config.worker_options()
        },
    );
    app.attach_worker(&worker);
    tokio::spawn(worker.run(stop.clone().cancelled_owned()));
    tokio::spawn(crate::http::serve(
        listener,
        app.router,
        stop.clone().cancelled_owned(),
    ));
    println!(
        "1. hookwire is running at {base} on an embedded SQLite file ({})",
        db.display()
    );

    let secret = WebhookSecret::generate();
    let rx = Receiver::new(
        Some(hookwire::verify::ReceiverKey::Secret(secret.clone())),
        reqwest::StatusCode::OK,
        reqwest::StatusCode::BAD_REQUEST,
    );
    lock(&rx.fail_once).insert("source.ready".to_owned());
    let rx_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let rx_url = format!("http://{}/hooks", rx_listener.local_addr()?);
    let rx_router = rx.router();
    tokio::spawn(async move { axum::serve(rx_listener, rx_router).await });
    println!("2. a local receiver listens at {rx_url}: it verifies every signature, and");
    println!("   answers the first source.ready delivery with 503 so you can watch a retry");

    let admin_api = ApiArgs {
        url: base.clone(),
        token: admin,
        json: false,
    };
    let tenant = admin_api
        .call(Method::POST, "/tenants", Some(json!({ "name": "demo" })))
        .await?;
    let api = ApiArgs {
        url: base.clone(),
        token: str(&tenant["api_key"]),
        json: false,
    };
    println!("3. created tenant {} with an API key", str(&tenant["id"]));
    let hook = api
        .call(
            Method::POST,
            "/webhooks",
            Some(json!({ "url": rx_url, "events": ["*"], "secret": secret.expose(), "name": "demo receiver" })),
        )
        .await?;
    let webhook_id = str(&hook["id"]);
    println!(
        "4. registered webhook {webhook_id} for all events, secret {}\n",
        secret.expose()
    );

    println!(
        "5. publishing {} events; each delivery prints as the receiver gets it:\n",
        EVENTS.len()
    );
    let mut deliveries = Vec::new();
    for (event_type, data) in EVENTS {
        let data: Value = serde_json::from_str(data)?;
        let e = api
            .call(
                Method::POST,
                "/events",
                Some(json!({ "type": event_type, "data": data })),
            )
            .await?;
        println!(
            "   published {} {event_type} (202: stored; the publish does not wait for delivery)",
            str(&e["id"])
        );
        deliveries.extend(
            e["deliveries"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| str(&d["id"])),
        );
    }
    wait_until_final(&api, &deliveries).await?;

    let seen = lock(&rx.seen).clone();
    let verified = seen.iter().filter(|(_, ok)| *ok).count();
    if seen.len() != EVENTS.len() || verified != seen.len() {
        bail!(
            "expected {} verified deliveries, got {} ({} verified)",
            EVENTS.len(),
            seen.len(),
            verified
        );
    }
    println!(
        "6. all {} deliveries delivered, every signature verified",
        seen.len()
    );
    let stats = api
        .call(
            Method::GET,
            &format!("/webhooks/{webhook_id}/stats?window=1h"),
            None,
        )
        .await?;
    table(
        &[
            "WEBHOOK",
            "TOTAL",
            "DELIVERED",
            "FAILED",
            "SUCCESS %",
            "AVG MS",
        ],
        std::iter::once(vec![
            webhook_id.clone(),
            stats["total"].to_string(),
            stats["delivered"].to_string(),
            stats["failed"].to_string(),
            stats["success_rate"].to_string(),
            stats["avg_duration_ms"].to_string(),
        ]),
    );
    let key = str(&tenant["api_key"]);
    println!(
        "\n7. keep exploring (while the demo server runs):\n\
         \n   export API={base}/api/v1 KEY={key}\
         \n   curl -s $API/webhooks/{webhook_id}/deliveries -H \"Authorization: Bearer $KEY\"\
         \n   curl -s $API/deliveries/{} -H \"Authorization: Bearer $KEY\"\
         \n   curl -s -X POST $API/events -H \"Authorization: Bearer $KEY\" -H 'Content-Type: application/json' \\\
         \n        -d '{{\"type\": \"notebook.created\", \"data\": {{\"notebook_id\": \"nb_3\"}}}}'\
         \n   curl -s $API/stats -H \"Authorization: Bearer $KEY\"\
         \n   open {base}/docs for the API reference\n",
        deliveries[1]
    );
    if !exit {
        println!("The demo server keeps running; Ctrl-C to stop (its database is temporary).");
        let _ = tokio::signal::ctrl_c().await;
    }
    stop.cancel();
    Ok(())
}

async fn wait_until_final(api: &ApiArgs, ids: &[String]) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    for id in ids {
        loop {
            let d = api
                .call(Method::GET, &format!("/deliveries/{id}"), None)
                .await?;
            match d["status"].as_str() {
                Some("delivered") => break,
                Some("failed") => bail!("delivery {id} failed: {}", d["last_error"]),
                _ if tokio::time::Instant::now() > deadline => {
                    bail!("delivery {id} did not finish")
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
    Ok(())
}

fn str(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}
