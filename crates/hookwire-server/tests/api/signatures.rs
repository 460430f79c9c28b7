//! Ed25519 webhooks: a `whsk_` key signs `v1a` signatures that the public key
//! in the webhook's views verifies (and a tampered body does not); rotation
//! keeps the scheme and signs with both keys; keys of the wrong kind or
//! length and a scheme change without a key are refused, naming the field.

use hookwire::secret::PublicKey;
use hookwire::testing::Backend;
use hookwire::verify::{verify_with, ReceiverKey, VerifyError};
use serde_json::json;

use crate::helpers::{spawn_app, str_of, ResponseExt};
use crate::receiver::Receiver;
use crate::ui_filters::{page_says, send};

/// A valid Ed25519 signing key (the seed 1, 2, …, 32).
const SEED: &str = "whsk_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

hookwire::backend_tests!(
    an_ed25519_webhook_signs_what_its_public_key_verifies,
    ed25519_keys_of_the_wrong_kind_are_refused_naming_the_field,
    the_dashboard_creates_an_ed25519_webhook_and_shows_its_public_key,
);

/// A received request's header by name, as `verify_with` looks them up.
fn header_of(request: &crate::receiver::Received) -> impl Fn(&str) -> Option<String> + Copy + '_ {
    |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

async fn an_ed25519_webhook_signs_what_its_public_key_verifies(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    let (_, key) = app.tenant("acme").await;
    let created = app
        .webhook(
            &key,
            json!({ "url": rx.url("/ed"), "signature_scheme": "ed25519" }),
        )
        .await;
    assert_eq!(created["signature_scheme"], "ed25519");
    assert!(str_of(&created["secret"]).starts_with("whsk_"), "{created}");
    let public = str_of(&created["public_key"]);
    assert!(public.starts_with("whpk_"), "{created}");
    let path = format!("/api/v1/webhooks/{}", str_of(&created["id"]));
    let read = app.get(&path, &key).await.json_ok(200).await;
    assert_eq!(read["public_key"], public.as_str(), "in every view");
    assert!(read.get("secret").is_none());
    let hmac = app.webhook(&key, json!({ "url": rx.url("/hmac") })).await;
    assert_eq!(
        (hmac["signature_scheme"].clone(), hmac["public_key"].clone()),
        (json!("hmac-sha256"), json!(null))
    );

    app.publish(&key, json!({ "type": "webhook.test", "data": { "n": 1 } }))
        .await;
    let got = rx.wait_for("/ed", 1).await;
    let request = &got[0];
    let h = header_of(request);
    assert!(h("webhook-signature").is_some_and(|s| s.starts_with("v1a,")));
    assert_eq!(h("x-webhook-signature"), None, "HMAC's header is left out");
    let public_key = ReceiverKey::Public(PublicKey::parse(&public, "public_key").expect("whpk_"));
    let now = hookwire::clock::now();
    verify_with(&public_key, h, &request.body, now).expect("verifies with the public key");
    let mut tampered = request.body.to_vec();
    tampered.push(b' ');
    assert_eq!(
        verify_with(&public_key, h, &tampered, now),
        Err(VerifyError::BadSignature)
    );

    // A rotation keeps the scheme and signs with both keys for a while.
    let rotated = app
        .post(&format!("{path}/rotate-secret"), &key, json!({}))
        .await
        .json_ok(200)
        .await;
    assert!(str_of(&rotated["secret"]).starts_with("whsk_"), "{rotated}");
    let read = app.get(&path, &key).await.json_ok(200).await;
    let new_public = str_of(&read["public_key"]);
    assert_ne!(new_public, public);
    app.publish(&key, json!({ "type": "webhook.test", "data": { "n": 2 } }))
        .await;
    let got = rx.wait_for("/ed", 2).await;
    let request = &got[1];
    let h = header_of(request);
    let signatures = h("webhook-signature").unwrap_or_default();
    assert_eq!(signatures.split(' ').count(), 2, "{signatures}");
    for key in [&public, &new_public] {
        let key = ReceiverKey::Public(PublicKey::parse(key, "public_key").expect("whpk_"));
        verify_with(&key, h, &request.body, now).expect("either key verifies");
    }
}

async fn ed25519_keys_of_the_wrong_kind_are_refused_naming_the_field(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let base = json!({ "url": "https://93.184.216.34/ed", "events": ["*"] });
    let with = |extra: serde_json::Value| {
        let mut body = base.clone();
        for (k, v) in extra.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        body
    };
    let short = format!("whsk_{}", "A".repeat(40));
    for (body, field) in [
        (
            with(json!({ "signature_scheme": "rsa" })),
            "signature_scheme",
        ),
        (with(json!({ "secret": short })), "secret"),
        (
            with(
                json!({ "signature_scheme": "ed25519", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
            ),
            "secret",
        ),
    ] {
        let err = app
            .post("/api/v1/webhooks", &key, body.clone())
            .await
            .error(422, "invalid_field")
            .await;
        assert_eq!(err["field"], field, "{body}: {err}");
    }
    let list = app.get("/api/v1/webhooks", &key).await.json_ok(200).await;
    assert_eq!(list["data"], json!([]), "nothing was created");

    let w = app.webhook(&key, json!({})).await;
    let path = format!("/api/v1/webhooks/{}", str_of(&w["id"]));
    let err = app
        .patch(
            &path,
            &key,
            json!({ "signature_scheme": "ed25519", "name": "x" }),
        )
        .await
        .error(422, "invalid_field")
        .await;
    assert_eq!(err["field"], "signature_scheme", "{err}");
    let err = app
        .post(
            &format!("{path}/rotate-secret"),
            &key,
            json!({ "secret": SEED }),
        )
        .await
        .error(422, "invalid_field")
        .await;
    assert_eq!(
        err["field"], "secret",
        "an HMAC webhook rotates to an HMAC secret: {err}"
    );
    let read = app.get(&path, &key).await.json_ok(200).await;
    assert_eq!(
        (read["signature_scheme"].clone(), read["name"].clone()),
        (json!("hmac-sha256"), json!(null)),
        "unchanged"
    );
    // With a key of the new kind, the switch goes through.
    let switched = app
        .patch(
            &path,
            &key,
            json!({ "signature_scheme": "ed25519", "secret": SEED }),
        )
        .await
        .json_ok(200)
        .await;
    assert!(
        str_of(&switched["public_key"]).starts_with("whpk_"),
        "{switched}"
    );
}

async fn the_dashboard_creates_an_ed25519_webhook_and_shows_its_public_key(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let form = |scheme: &'static str| {
        vec![
            ("url", "https://93.184.216.34/ed"),
            ("events", "*"),
            ("signature_scheme", scheme),
        ]
    };
    let r = send(&app, &key, "/ui/webhooks", Some(&form("rsa"))).await;
    page_says(r, 422, "signature_scheme: must be hmac-sha256 or ed25519").await;
    let r = send(&app, &key, "/ui/webhooks", Some(&form("ed25519"))).await;
    assert!(r.status().is_success(), "{}", r.status());
    let list = app.get("/api/v1/webhooks", &key).await.json_ok(200).await;
    assert_eq!(list["data"][0]["signature_scheme"], "ed25519");
    let public = str_of(&list["data"][0]["public_key"]);
    let id = str_of(&list["data"][0]["id"]);
    let page = send(&app, &key, &format!("/ui/webhooks/{id}"), None).await;
    let page = page.text().await.unwrap_or_default();
    assert!(
        page.contains(&format!(r#"data-testid="public-key">{public}<"#)),
        "{page}"
    );
}
