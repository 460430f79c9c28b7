//! Webhook secrets encrypted at rest with a master key: the database holds only
//! ciphertext, deliveries are still signed with the real secret, and a master-key
//! rotation (new key + old key, `reseal`, drop the old key) keeps every webhook.

use hookwire::secret::sealer::Sealer;
use hookwire::testing::Backend;
use serde_json::json;
use sqlx::Connection;

use crate::helpers::{spawn_app_with, str_of};
use crate::receiver::Receiver;

hookwire::backend_tests!(secrets_are_ciphertext_in_the_database_and_survive_a_key_rotation);

pub(crate) const OLD_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const NEW_KEY: &str = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

/// A webhook's sealed `column` (`secret`, `client_certificate`) as stored.
pub(crate) async fn raw_column(b: Backend, url: &str, id: &str, column: &str) -> String {
    let sql = match b {
        Backend::Sqlite => format!("SELECT {column} FROM webhooks WHERE id = ?1"),
        Backend::Postgres => format!("SELECT {column} FROM webhooks WHERE id = $1"),
    };
    match b {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url).await.expect("sqlite");
            sqlx::query_scalar(&sql).bind(id).fetch_one(&mut c).await
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.expect("postgres");
            sqlx::query_scalar(&sql).bind(id).fetch_one(&mut c).await
        }
    }
    .expect("row")
}

async fn secrets_are_ciphertext_in_the_database_and_survive_a_key_rotation(b: Backend) {
    let Some(app) = spawn_app_with(b, |c| c.secret_encryption_key = Some(OLD_KEY.into())).await
    else {
        return;
    };
    let rx = Receiver::start().await;
    let (tenant, key) = app.tenant("acme").await;
    let w = app.webhook(&key, json!({ "url": rx.url("/hook") })).await;
    let (id, secret) = (str_of(&w["id"]), str_of(&w["secret"]));
    let stored = raw_column(b, &app._db.url, &id, "secret").await;
    assert!(stored.starts_with("enc:v1:"), "stored: {stored}");
    assert!(
        !stored.contains(&secret["whsec_".len()..]),
        "plaintext in the database"
    );

    // Deliveries are signed with the real secret.
    app.publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let got = rx.wait_for("/hook", 1).await;
    standardwebhooks::Webhook::new(&secret)
        .expect("secret")
        .verify(&got[0].body, &got[0].headers)
        .expect("signed with the real secret");

    // A node with only a new key cannot read it, and says which key is missing.
    let new_only = Sealer::new(Some(NEW_KEY), &[]).expect("key");
    let store = hookwire::store::open_sealed(&app._db.url, new_only.clone())
        .await
        .expect("open");
    let err = store.webhook(&tenant, &id).await.expect_err("unknown key");
    assert!(err.to_string().contains("not configured"), "{err}");
    // Rotation: new key with the old one as previous, reseal, then the new key alone.
    let rotating = Sealer::new(Some(NEW_KEY), &[OLD_KEY.into()]).expect("keys");
    let store = hookwire::store::open_sealed(&app._db.url, rotating)
        .await
        .expect("open");
    assert_eq!(store.reseal_secrets().await.expect("reseal"), 1);
    assert_eq!(
        store.reseal_secrets().await.expect("again"),
        0,
        "idempotent"
    );
    let store = hookwire::store::open_sealed(&app._db.url, new_only)
        .await
        .expect("open");
    let read = store
        .webhook(&tenant, &id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(read.secret.expose(), secret);
    assert_ne!(
        raw_column(b, &app._db.url, &id, "secret").await,
        stored,
        "re-encrypted"
    );
}
