//! hookwire as a library, in-process, without its HTTP API: open a store, register
//! a webhook, publish an event, and let a worker deliver it.
//!
//! `cargo run -p hookwire --example embedded`

use std::time::Duration;

use hookwire::model::{DeliveryStatus, NewEvent, WebhookDraft};
use hookwire::net::UrlPolicy;
use hookwire::{store, Hookwire, Options, Worker, WorkerOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A receiver on 127.0.0.1 standing in for your customer's endpoint.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hooks", listener.local_addr()?);
    let app =
        axum::Router::new().fallback(|body: String| async move { println!("received {body}") });
    tokio::spawn(async move { axum::serve(listener, app).await });

    // The engine on an embedded SQLite file, allowed to reach 127.0.0.1.
    let dir = tempfile::tempdir()?;
    let store = store::open(&format!("sqlite://{}/hookwire.db", dir.path().display())).await?;
    let policy = UrlPolicy {
        allow_http: true,
        allow_private_networks: true,
    };
    let hookwire = Hookwire::new(
        store,
        Options {
            url_policy: policy,
            ..Options::default()
        },
    );

    let (tenant, _api_key) = hookwire.create_tenant("acme").await?;
    hookwire
        .create_event_type("order.paid", "An order was paid")
        .await?;
    let draft = WebhookDraft {
        url,
        events: vec!["order.*".into()],
        ..Default::default()
    };
    let webhook = hookwire.create_webhook(&tenant.id, draft).await?;
    println!(
        "webhook {} signs with {}",
        webhook.id,
        webhook.secret.expose()
    );

    // The worker runs in the background until the shutdown future resolves.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = Worker::new(&hookwire, WorkerOptions::default());
    let running = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));

    let event = NewEvent {
        event_type: "order.paid".into(),
        data: serde_json::json!({ "order": 42 }),
        channel: None,
        id: None,
        ordering_key: None,
    };
    let published = hookwire.publish(&tenant.id, event, None).await?;
    let delivery_id = &published.deliveries[0].id;
    let mut status = None;
    for _ in 0..250 {
        let detail = hookwire.delivery(&tenant.id, delivery_id).await?;
        if detail.delivery.status.is_final() {
            status = Some(detail.delivery.status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    running.await?;
    match status {
        Some(DeliveryStatus::Delivered) => {
            println!("delivery {delivery_id} delivered");
            Ok(())
        }
        other => Err(format!("delivery {delivery_id} ended as {other:?}").into()),
    }
}

#[cfg(test)]
#[test]
fn the_example_delivers_an_event() {
    main().expect("the example runs");
}
