//! Webhook updates that race other writers: each writes only what it changed,
//! so a concurrent PATCH, the worker's health marks, an auto-disable or a
//! rotation made after the update's copy was read all survive it.

use hookwire::secret::WebhookSecret;
use hookwire::store::{DynStore, SettingsChanges, WebhookChanges};
use hookwire::testing::Backend;

use crate::fresh_store;
use crate::webhooks::store_with_a_webhook;

hookwire::backend_tests!(
    an_update_from_a_stale_copy_keeps_the_health_the_worker_wrote,
    an_update_read_before_an_auto_disable_does_not_enable_the_webhook_again,
    an_update_read_before_a_rotation_keeps_the_rotated_secret,
    a_rotation_takes_the_secret_it_replaces_from_the_row,
    two_updates_read_together_keep_each_others_changes,
);

/// What renaming a webhook changes.
fn only_the_name() -> WebhookChanges {
    WebhookChanges {
        is_active: false,
        secrets: false,
        settings: SettingsChanges {
            name: true,
            ..SettingsChanges::default()
        },
    }
}

async fn two_updates_read_together_keep_each_others_changes(b: Backend) {
    let Some((store, _db, t, w)) = store_with_a_webhook(b).await else {
        return;
    };
    // Two PATCHes read the webhook at once; one renames it, the other
    // changes its URL and retry policy.
    let read = store.webhook(&t, &w.id).await.unwrap().unwrap();
    let mut renamed = read.clone();
    renamed.name = Some("billing".into());
    let mut moved = read.clone();
    moved.url = "https://93.184.216.35/moved".into();
    moved.retry.max_attempts = 7;
    let changes = WebhookChanges::between(&read, &moved);
    assert_eq!(
        changes.settings,
        SettingsChanges {
            url: true,
            retry: true,
            ..SettingsChanges::default()
        }
    );
    store
        .update_webhook(&renamed, WebhookChanges::between(&read, &renamed))
        .await
        .unwrap()
        .unwrap();
    let stored = store
        .update_webhook(&moved, changes)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name.as_deref(), Some("billing"), "the rename stays");
    assert_eq!(stored.url, moved.url);
    assert_eq!(stored.retry.max_attempts, 7);
    assert_eq!(stored.retry.initial_delay_ms, read.retry.initial_delay_ms);
    assert_eq!(store.webhook(&t, &w.id).await.unwrap().unwrap(), stored);
}

/// An update of the settings alone (all of them).
pub(crate) const SETTINGS: WebhookChanges = WebhookChanges {
    is_active: false,
    secrets: false,
    settings: SettingsChanges::ALL,
};
/// An update that enables or disables the webhook.
pub(crate) const ACTIVITY: WebhookChanges = WebhookChanges {
    is_active: true,
    secrets: false,
    settings: SettingsChanges::ALL,
};

/// Two transactions that change the same two webhooks in crossed order: the
/// second waits for the first's row, never for the webhook generation's row
/// (which every change bumps at commit), so both commit — with the bump taken
/// per statement instead, PostgreSQL aborted one as a deadlock.
#[tokio::test]
async fn crossed_webhook_changes_on_postgresql_wait_for_each_other_without_deadlock() {
    use std::time::Duration;
    let Some((store, db)) = fresh_store(Backend::Postgres).await else {
        return;
    };
    let (tenant, a) = crate::history::setup(&store).await;
    let b = crate::history::another_webhook(&store, &tenant).await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let generation = || async {
        sqlx::query_scalar::<_, i64>("SELECT generation FROM webhook_generation")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before = generation().await;
    let rename = "UPDATE webhooks SET name = $2 WHERE id = $1";

    let mut first = pool.begin().await.unwrap();
    sqlx::query(rename)
        .bind(&a.id)
        .bind("first")
        .execute(&mut *first)
        .await
        .unwrap();
    let second = {
        let (pool, b) = (pool.clone(), b.id.clone());
        tokio::spawn(async move {
            let mut tx = pool.begin().await?;
            sqlx::query(rename)
                .bind(&b)
                .bind("second")
                .execute(&mut *tx)
                .await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            tx.commit().await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Waits for the second transaction's lock on b, then goes on.
    sqlx::query(rename)
        .bind(&b.id)
        .bind("first")
        .execute(&mut *first)
        .await
        .expect("no deadlock");
    first.commit().await.expect("first commits");
    second.await.unwrap().expect("second commits");
    assert_eq!(generation().await, before + 3, "one bump per changed row");
}

async fn an_update_from_a_stale_copy_keeps_the_health_the_worker_wrote(b: Backend) {
    let Some((store, _db, t, w)) = store_with_a_webhook(b).await else {
        return;
    };
    let read = |store: DynStore| {
        let (t, id) = (t.clone(), w.id.clone());
        async move { store.webhook(&t, &id).await.unwrap().unwrap() }
    };
    // Read by an API call before the worker saw the endpoint fail.
    let mut stale = w.clone();
    let now = hookwire::clock::now();
    let since = store.webhook_failed(&w.id, now).await.unwrap();
    assert!(since.is_some());
    stale.name = Some("renamed".into());
    assert!(store
        .update_webhook(&stale, SETTINGS)
        .await
        .unwrap()
        .is_some());
    let after = read(store.clone()).await;
    assert_eq!(after.name.as_deref(), Some("renamed"));
    assert_eq!(after.failing_since, since, "the failing streak is kept");

    // Read while failing, written after the worker saw it recover.
    let stale = after;
    store.webhook_recovered(&w.id).await.unwrap();
    assert!(store
        .update_webhook(&stale, SETTINGS)
        .await
        .unwrap()
        .is_some());
    assert_eq!(read(store.clone()).await.failing_since, None);

    // Disabled by the worker while a user disables it too: the reason stays.
    let mut stale = read(store.clone()).await;
    store.disable_webhook(&w.id, "410 Gone", now).await.unwrap();
    stale.is_active = false;
    assert!(store
        .update_webhook(&stale, ACTIVITY)
        .await
        .unwrap()
        .is_some());
    let after = read(store.clone()).await;
    assert!(!after.is_active);
    assert_eq!(after.disabled_reason.as_deref(), Some("410 Gone"));

    // Enabling again clears the reason and any streak.
    store.webhook_failed(&w.id, now).await.unwrap();
    let mut enable = read(store.clone()).await;
    enable.is_active = true;
    let stored = store
        .update_webhook(&enable, ACTIVITY)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, read(store.clone()).await, "returned as stored");
    assert!(stored.is_active);
    assert_eq!((stored.disabled_reason, stored.failing_since), (None, None));
}

async fn an_update_read_before_an_auto_disable_does_not_enable_the_webhook_again(b: Backend) {
    let Some((store, _db, t, w)) = store_with_a_webhook(b).await else {
        return;
    };
    // A PATCH of the description reads the webhook while it is active ...
    let mut stale = store.webhook(&t, &w.id).await.unwrap().unwrap();
    // ... the worker disables it after too many failures ...
    let now = hookwire::clock::now();
    let since = store.webhook_failed(&w.id, now).await.unwrap();
    assert!(since.is_some());
    store
        .disable_webhook(&w.id, "failing for 5 days", now)
        .await
        .unwrap();
    // ... and the PATCH writes its copy, which still says active.
    stale.description = Some("billing events".into());
    let stored = store
        .update_webhook(&stale, SETTINGS)
        .await
        .unwrap()
        .unwrap();

    let after = store.webhook(&t, &w.id).await.unwrap().unwrap();
    assert_eq!(stored, after, "the answer is the row");
    assert_eq!(after.description.as_deref(), Some("billing events"));
    assert!(!after.is_active, "still disabled");
    assert_eq!(after.disabled_reason.as_deref(), Some("failing for 5 days"));
    assert_eq!(after.failing_since, since, "the failing streak is kept");

    // Enabling it on purpose (a copy read while disabled) does enable it.
    let mut enable = after;
    enable.is_active = true;
    let stored = store
        .update_webhook(&enable, ACTIVITY)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.is_active);
    assert_eq!((stored.disabled_reason, stored.failing_since), (None, None));
}

async fn an_update_read_before_a_rotation_keeps_the_rotated_secret(b: Backend) {
    let Some((store, _db, t, w)) = store_with_a_webhook(b).await else {
        return;
    };
    // A PATCH of the name reads the webhook ...
    let read = store.webhook(&t, &w.id).await.unwrap().unwrap();
    // ... the secret is rotated meanwhile ...
    let mut rotated = read.clone();
    rotated.previous_secret = Some(std::mem::replace(
        &mut rotated.secret,
        WebhookSecret::generate(),
    ));
    rotated.previous_secret_expires_at = Some(hookwire::clock::now());
    let changes = WebhookChanges::between(&read, &rotated);
    assert_eq!(
        changes,
        WebhookChanges {
            is_active: false,
            secrets: true,
            settings: SettingsChanges::default(),
        }
    );
    store
        .update_webhook(&rotated, changes)
        .await
        .unwrap()
        .unwrap();
    // ... and the PATCH writes its copy, which still holds the old secret.
    let mut renamed = read.clone();
    renamed.name = Some("billing".into());
    let changes = WebhookChanges::between(&read, &renamed);
    assert_eq!(changes, only_the_name());
    let stored = store
        .update_webhook(&renamed, changes)
        .await
        .unwrap()
        .unwrap();

    assert_eq!(stored.name.as_deref(), Some("billing"));
    assert_eq!(
        stored.secret.expose(),
        rotated.secret.expose(),
        "the new secret signs"
    );
    assert_eq!(
        stored.previous_secret.as_ref().map(WebhookSecret::expose),
        Some(read.secret.expose()),
        "the old one alongside it"
    );
    assert_eq!(stored, store.webhook(&t, &w.id).await.unwrap().unwrap());
}

async fn a_rotation_takes_the_secret_it_replaces_from_the_row(b: Backend) {
    let Some((store, _db, t, w)) = store_with_a_webhook(b).await else {
        return;
    };
    let now = hookwire::clock::now();
    let later = now + chrono::TimeDelta::hours(24);
    // Two rotations at once: each caller hands its new secret out, and the
    // second must keep the first one's signing alongside its own.
    let (first, second) = (WebhookSecret::generate(), WebhookSecret::generate());
    store
        .rotate_webhook_secret(&t, &w.id, &first, later, now)
        .await
        .unwrap()
        .unwrap();
    let stored = store
        .rotate_webhook_secret(&t, &w.id, &second, later, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.secret.expose(), second.expose());
    assert_eq!(
        stored.previous_secret.as_ref().map(WebhookSecret::expose),
        Some(first.expose())
    );
    assert!(stored.previous_secret_expires_at.is_some());
    assert_eq!(stored, store.webhook(&t, &w.id).await.unwrap().unwrap());

    let missing = store.rotate_webhook_secret("another-tenant", &w.id, &first, later, now);
    assert_eq!(missing.await.unwrap(), None, "scoped to the tenant");
}
