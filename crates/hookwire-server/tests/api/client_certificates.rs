//! Webhook TLS client certificates (mutual TLS), through a server that trusts
//! the receiver's private CA (`receiver_ca_file`): a webhook with a
//! certificate is delivered to a receiver that requires one, a webhook
//! without gets a clear attempt error; the certificate is write-only, sealed
//! at rest, re-sealed with the secrets; bad ones are refused naming the
//! field and change nothing.

use hookwire::testing::tls_receiver::{Received, TlsReceiver};
use hookwire::testing::Backend;
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, str_of, ResponseExt, TestApp};
use crate::secrets_at_rest::{raw_column, OLD_KEY};

hookwire::backend_tests!(
    a_webhook_with_a_client_certificate_reaches_a_receiver_that_requires_one,
    client_certificates_are_sealed_at_rest_and_resealed,
    bad_client_certificates_are_422_naming_the_field_and_change_nothing,
);

/// A server trusting `rx`'s CA for receivers, with `tweak` applied too.
async fn app_for(
    b: Backend,
    rx: &TlsReceiver,
    tweak: impl FnOnce(&mut hookwire_server::config::Config),
) -> Option<(TestApp, tempfile::NamedTempFile)> {
    let ca = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(ca.path(), rx.ca_pem()).expect("write the CA");
    let path = ca.path().to_path_buf();
    let app = spawn_app_with(b, move |c| {
        c.receiver_ca_file = Some(path);
        tweak(c);
    })
    .await?;
    Some((app, ca))
}

fn cert_json(draft: &hookwire::secret::ClientCertificateDraft) -> Value {
    json!({ "cert_pem": draft.cert_pem, "key_pem": draft.key_pem })
}

async fn a_webhook_with_a_client_certificate_reaches_a_receiver_that_requires_one(b: Backend) {
    let rx = TlsReceiver::start().await.expect("receiver");
    let Some((app, _ca)) = app_for(b, &rx, |_| {}).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let cert = rx.issue_client_certificate("acme-sender");
    let with = app
        .webhook(
            &key,
            json!({ "url": rx.url("/mtls"), "client_certificate": cert_json(&cert) }),
        )
        .await;
    assert_eq!(with["has_client_certificate"], true, "{with}");
    let without = app
        .webhook(
            &key,
            json!({ "url": rx.url("/plain"), "retry": { "max_attempts": 1 } }),
        )
        .await;
    assert_eq!(without["has_client_certificate"], false);

    let event = app
        .publish(&key, json!({ "type": "webhook.test", "data": { "n": 1 } }))
        .await;
    for d in event["deliveries"].as_array().expect("deliveries") {
        let done = app
            .wait_delivery(&key, &str_of(&d["id"]), |d| {
                d["status"] == "delivered" || d["status"] == "failed"
            })
            .await;
        if done["webhook_id"] == with["id"] {
            assert_eq!(done["status"], "delivered", "{done}");
        } else {
            assert_eq!(done["status"], "failed", "{done}");
            let error = done["attempts"][0]["error"].as_str().unwrap_or_default();
            assert!(
                error.contains("asks for a TLS client certificate and this webhook has none"),
                "the attempt says why: {done}"
            );
            assert_eq!(done["attempts"][0]["error_kind"], "connect");
        }
    }
    assert_eq!(
        rx.received(),
        [Received {
            path: "/mtls".into(),
            client: "acme-sender".into()
        }]
    );

    // Write-only: no view shows the certificate, however it is read.
    let id = str_of(&with["id"]);
    let shown = app
        .get(&format!("/api/v1/webhooks/{id}"), &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(shown["has_client_certificate"], true);
    let listed = app.get("/api/v1/webhooks", &key).await.json_ok(200).await;
    for view in [&with, &shown, &listed] {
        let text = view.to_string();
        assert!(
            !text.contains("BEGIN") && !text.contains("cert_pem"),
            "{text}"
        );
    }

    // A test send presents it as well.
    let test = app
        .post(&format!("/api/v1/webhooks/{id}/test"), &key, json!({}))
        .await
        .json_ok(200)
        .await;
    assert_eq!(test["http_status"], 200, "{test}");

    // `null` removes it; the receiver then refuses the handshake.
    let patched = app
        .patch(
            &format!("/api/v1/webhooks/{id}"),
            &key,
            json!({ "client_certificate": null }),
        )
        .await
        .json_ok(200)
        .await;
    assert_eq!(patched["has_client_certificate"], false);
    let refused_before = rx.refused();
    let test = app
        .post(&format!("/api/v1/webhooks/{id}/test"), &key, json!({}))
        .await
        .json_ok(200)
        .await;
    assert!(test["http_status"].is_null(), "{test}");
    assert!(rx.refused() > refused_before, "the receiver refused it");
}

async fn client_certificates_are_sealed_at_rest_and_resealed(b: Backend) {
    let rx = TlsReceiver::start().await.expect("receiver");
    let Some((app, _ca)) = app_for(b, &rx, |c| {
        c.secret_encryption_key = Some(OLD_KEY.into());
    })
    .await
    else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let cert = rx.issue_client_certificate("sealed");
    let w = app
        .webhook(
            &key,
            json!({ "url": rx.url("/sealed"), "client_certificate": cert_json(&cert) }),
        )
        .await;
    let id = str_of(&w["id"]);
    let stored = raw_column(b, &app._db.url, &id, "client_certificate").await;
    assert!(stored.starts_with("enc:v1:"), "stored: {stored}");
    assert!(!stored.contains("PRIVATE KEY"), "plaintext in the database");

    app.publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while rx.received().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "never delivered");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(rx.received()[0].client, "sealed");

    // Turning encryption off and re-sealing writes it back in clear form,
    // still readable.
    let clear = hookwire::secret::sealer::Sealer::new(None, &[OLD_KEY.into()]).expect("keys");
    let store = hookwire::store::open_sealed(&app._db.url, clear)
        .await
        .expect("open");
    assert_eq!(store.reseal_secrets().await.expect("reseal"), 1);
    let stored = raw_column(b, &app._db.url, &id, "client_certificate").await;
    assert!(stored.contains("PRIVATE KEY"), "unsealed: {stored}");
}

async fn bad_client_certificates_are_422_naming_the_field_and_change_nothing(b: Backend) {
    let rx = TlsReceiver::start().await.expect("receiver");
    let Some((app, _ca)) = app_for(b, &rx, |_| {}).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let good = rx.issue_client_certificate("good");
    let other = rx.issue_client_certificate("other");
    let expired = rx.issue_expired_client_certificate("old");
    let w = app
        .webhook(
            &key,
            json!({ "url": rx.url("/x"), "client_certificate": cert_json(&good) }),
        )
        .await;
    let id = str_of(&w["id"]);
    let cases = [
        (
            json!({ "cert_pem": "not a certificate", "key_pem": good.key_pem }),
            "client_certificate.cert_pem",
        ),
        (
            json!({ "cert_pem": good.cert_pem, "key_pem": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" }),
            "client_certificate.key_pem",
        ),
        (
            json!({ "cert_pem": good.cert_pem, "key_pem": other.key_pem }),
            "client_certificate",
        ),
        (cert_json(&expired), "client_certificate.cert_pem"),
        (
            json!({ "cert_pem": good.cert_pem }),
            "client_certificate.key_pem",
        ),
    ];
    for (bad, field) in cases {
        let created = app
            .post(
                "/api/v1/webhooks",
                &key,
                json!({ "url": rx.url("/new"), "events": ["*"], "client_certificate": bad }),
            )
            .await
            .error(422, "invalid_field")
            .await;
        assert_eq!(created["field"], field, "{created}");
        let patched = app
            .patch(
                &format!("/api/v1/webhooks/{id}"),
                &key,
                json!({ "url": rx.url("/changed"), "client_certificate": bad }),
            )
            .await
            .error(422, "invalid_field")
            .await;
        assert_eq!(patched["field"], field, "{patched}");
    }
    let after = app
        .get(&format!("/api/v1/webhooks/{id}"), &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(after["url"], rx.url("/x"), "nothing half-applied");
    assert_eq!(after["has_client_certificate"], true);
    let all = app.get("/api/v1/webhooks", &key).await.json_ok(200).await;
    assert_eq!(all["data"].as_array().map(Vec::len), Some(1), "{all}");
}
