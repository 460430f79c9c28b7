// Every call against a real `hookwire serve`, deliveries to a real receiver.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { Webhook as ReferenceVerifier } from "standardwebhooks";

import { Hookwire, HookwireError, verify } from "../dist/esm/index.js";
import { all, newTenant, startReceiver, startServerWithCatalog, waitFor } from "./support/helpers.mjs";

const FAST_RETRY = { max_attempts: 2, initial_delay_ms: 100, max_delay_ms: 100 };
let server;
let receiver;

before(async () => {
  server = await startServerWithCatalog();
  receiver = await startReceiver();
});
after(async () => {
  await receiver.close();
  await server.stop();
});

test("register, publish and verify what arrives", async () => {
  const hw = await newTenant(server);
  const webhook = await hw.webhooks.create({ url: receiver.url, events: ["order.*"], name: "orders" });
  assert.match(webhook.secret, /^whsec_/);
  assert.equal(webhook.has_secret, true);
  assert.deepEqual(webhook.circuit, { state: "closed", opened_at: null, next_probe_at: null });

  const published = await hw.publish("order.created", { id: 42 });
  assert.equal(published.type, "order.created");
  assert.deepEqual(published.deliveries.map((d) => d.webhook_id), [webhook.id]);

  const request = await receiver.next();
  const body = await verify(request.body, request.headers, webhook.secret);
  assert.equal(body.id, published.id);
  assert.deepEqual(body.data, { id: 42 });
  const reference = new ReferenceVerifier(webhook.secret).verify(request.body, request.headers);
  assert.equal(reference.type, "order.created");

  const event = await waitFor(async () => {
    const found = await hw.events.get(published.id);
    return found.deliveries[0].status === "delivered" && found;
  });
  const delivery = await hw.deliveries.get(event.deliveries[0].id);
  assert.equal(delivery.attempts[0].http_status, 200);
});

test("a publish repeated with its idempotency key is one event", async () => {
  const hw = await newTenant(server);
  const first = await hw.publish("order.paid", { n: 1 }, { idempotencyKey: "order-7-paid" });
  const again = await hw.publish("order.paid", { n: 1 }, { idempotencyKey: "order-7-paid" });
  const other = await hw.publish("order.paid", { n: 1 });
  assert.equal(first.id, again.id);
  assert.notEqual(first.id, other.id);
});

test("lists follow every page", async () => {
  const hw = await newTenant(server);
  const ids = [];
  for (let n = 0; n < 7; n++) ids.push((await hw.publish("invoice.sent", { n }, { channel: "eu" })).id);
  await hw.publish("invoice.sent", { n: 99 }, { channel: "us" });
  const listed = await all(hw.events.list({ type: "invoice.sent", channel: "eu", limit: 2 }));
  assert.deepEqual(listed.map((e) => e.id).sort(), ids.sort());
  for (let n = 0; n < 3; n++) await hw.webhooks.create({ url: receiver.url, events: ["invoice.sent"], name: `w${n}` });
  assert.equal((await all(hw.webhooks.list({ limit: 2 }))).length, 3);
  assert.equal((await all(hw.webhooks.list({ event: "order.created" }))).length, 0);
});

test("webhook management", async () => {
  const hw = await newTenant(server);
  const created = await hw.webhooks.create({
    url: receiver.url,
    events: ["order.created"],
    description: "first",
    channels: ["eu"],
    timeout_seconds: 5,
    retry: FAST_RETRY,
    headers: { "x-team": "billing" },
  });
  const fetched = await hw.webhooks.get(created.id);
  assert.ok(fetched.secret == null);
  assert.deepEqual(fetched.channels, ["eu"]);

  const patched = await hw.webhooks.update(created.id, { description: null, is_active: false });
  assert.equal(patched.description ?? null, null);
  assert.equal(patched.is_active, false);
  assert.deepEqual(patched.channels, ["eu"]);
  assert.deepEqual((await all(hw.webhooks.list({ is_active: false }))).map((w) => w.id), [created.id]);

  const replaced = await hw.webhooks.replace(created.id, { url: receiver.url, events: ["order.paid"] });
  assert.deepEqual(replaced.events, ["order.paid"]);
  assert.deepEqual(replaced.channels, []);
  assert.equal(replaced.is_active, true);

  const result = await hw.webhooks.test(created.id);
  assert.equal(result.status, "delivered");
  assert.equal(result.http_status, 200);
  assert.equal(JSON.parse((await receiver.next()).body).type, "webhook.test");

  assert.match((await hw.webhooks.rotateSecret(created.id)).secret, /^whsec_/);
  const given = "whsec_" + "A".repeat(43) + "=";
  assert.equal((await hw.webhooks.rotateSecret(created.id, given)).secret, given);

  const stats = await hw.webhooks.stats(created.id, { window: "24h" });
  assert.ok(stats.total >= 1 && stats.delivered >= 1);

  await hw.webhooks.delete(created.id);
  await assert.rejects(hw.webhooks.get(created.id), (error) => error instanceof HookwireError && error.isNotFound());
});

test("failed deliveries: retry, recover, bulk retry and replay", async () => {
  const hw = await newTenant(server);
  const webhook = await hw.webhooks.create({
    url: receiver.url,
    events: ["order.paid"],
    retry: { ...FAST_RETRY, max_attempts: 1 },
  });
  const failedOnce = async () => {
    receiver.answers.push(500);
    const event = await hw.publish("order.paid", { at: Date.now() });
    await receiver.next();
    await waitFor(async () => (await all(hw.webhooks.deliveries(webhook.id, { status: "failed" }))).length > 0);
    return event;
  };
  const first = await failedOnce();
  const [failed] = await all(hw.webhooks.deliveries(webhook.id, { status: "failed" }));
  assert.equal(failed.id, first.deliveries[0].id);
  assert.deepEqual(await all(hw.webhooks.deliveries(webhook.id, { status: "delivered", event_type: "order.paid" })), []);
  await hw.deliveries.retry(failed.id);
  await receiver.next();
  await waitFor(async () => (await hw.deliveries.get(failed.id)).status === "delivered");

  const hourAgo = new Date(Date.now() - 3600_000);
  const second = await failedOnce();
  assert.deepEqual(await hw.webhooks.recover(webhook.id, hourAgo), { requeued: 1 });
  assert.equal(JSON.parse((await receiver.next()).body).id, second.id);

  const third = await failedOnce();
  assert.deepEqual(await hw.deliveries.retryMany({ since: hourAgo, status: "failed", webhook_id: webhook.id }), {
    requeued: 1,
  });
  assert.equal(JSON.parse((await receiver.next()).body).id, third.id);

  const replayed = await hw.events.replay(first.id, { webhookId: webhook.id });
  assert.equal(replayed.deliveries.length, 1);
  assert.equal((await receiver.next()).headers["webhook-id"], first.id);
  await waitFor(async () => (await hw.stats.get({ window: "24h" })).delivered >= 4);
});

test("keys of a tenant and of the admin", async () => {
  const hw = await newTenant(server);
  const readOnly = await hw.keys.create({ name: "reader", scopes: ["read"] });
  assert.deepEqual(readOnly.scopes, ["read"]);
  const listed = (await all(hw.keys.list())).find((k) => k.id === readOnly.id);
  assert.equal(listed.name, "reader");
  assert.equal("api_key" in listed, false);

  const reader = new Hookwire({ baseUrl: server.baseUrl, apiKey: readOnly.api_key, maxRetries: 0 });
  assert.deepEqual(await all(reader.webhooks.list()), []);
  await assert.rejects(
    reader.publish("order.paid", {}),
    (error) => error.isForbidden() && error.code === "insufficient_scope",
  );
  await hw.keys.revoke(readOnly.id);
  await waitFor(
    () =>
      all(reader.webhooks.list()).then(
        () => false,
        (error) => error.isUnauthorized(),
      ),
    6000,
  );

  const admin = server.admin();
  const later = new Date(Date.now() + 86400_000).toISOString();
  const made = await admin.tenants.createKey(hw.tenantId, { name: "ci", scopes: ["publish"], expires_at: later });
  assert.ok(made.expires_at);
  assert.ok((await all(admin.tenants.listKeys(hw.tenantId))).some((k) => k.id === made.id));
  await admin.tenants.revokeKey(hw.tenantId, made.id);
  assert.ok(!(await all(admin.tenants.listKeys(hw.tenantId))).some((k) => k.id === made.id));
});

test("tenants and event types", async () => {
  const admin = server.admin();
  const created = await admin.tenants.create("short-lived");
  assert.equal((await admin.tenants.get(created.id)).name, "short-lived");
  assert.ok((await all(admin.tenants.list({ limit: 1 }))).some((t) => t.id === created.id));
  await admin.tenants.delete(created.id);
  await assert.rejects(admin.tenants.get(created.id), (error) => error.isNotFound());
  const names = (await admin.eventTypes.list()).map((t) => t.name);
  assert.ok(names.includes("order.created") && names.includes("webhook.test"));
});

test("portal links for a tenant", async () => {
  const hw = await newTenant(server);
  const own = await hw.portalSessions.create({ expires_in_seconds: 600, read_only: true });
  assert.match(own.url, /\/ui\/portal\/hws_/);
  assert.ok(own.expires_at);
  const admin = server.admin();
  const made = await admin.tenants.createPortalSession(hw.tenantId);
  assert.ok(made.url.startsWith(`${server.baseUrl}/ui/portal/`));
  await assert.rejects(
    admin.tenants.createPortalSession(hw.tenantId, { expires_in_seconds: 5 }),
    (error) => error.isInvalid() && error.field === "expires_in_seconds",
  );
});

test("the audit log names who changed what", async () => {
  const hw = await newTenant(server);
  const hook = await hw.webhooks.create({ url: receiver.url, events: ["order.created"] });
  await hw.webhooks.update(hook.id, { name: "renamed" });
  const mine = await all(hw.auditLog.list({ action: "webhook.update" }));
  assert.deepEqual(
    mine.map((e) => [e.action, e.target_id, e.actor.type]),
    [["webhook.update", hook.id, "api_key"]],
  );
  const everything = await all(server.admin().auditLog.list({ limit: 2 }));
  assert.ok(everything.length >= (await all(hw.auditLog.list())).length);
});

test("operational webhooks hear of a created webhook", async () => {
  const admin = server.admin();
  const op = await admin.operationalWebhooks.create({ url: receiver.url, events: ["hookwire.webhook.created"] });
  assert.ok((await all(admin.operationalWebhooks.list())).some((w) => w.id === op.id));
  const hw = await newTenant(server);
  const hook = await hw.webhooks.create({ url: receiver.url, events: ["order.created"] });
  const request = await receiver.next();
  const event = new ReferenceVerifier(op.secret).verify(request.body, request.headers);
  assert.equal(event.type, "hookwire.webhook.created");
  assert.equal(event.data.webhook_id, hook.id);
  await admin.operationalWebhooks.delete(op.id);
  assert.ok(!(await all(admin.operationalWebhooks.list())).some((w) => w.id === op.id));
});

test("an ed25519 webhook verifies with its public key", async () => {
  const hw = await newTenant(server);
  const webhook = await hw.webhooks.create({ url: receiver.url, events: ["order.*"], signature_scheme: "ed25519" });
  assert.equal(webhook.signature_scheme, "ed25519");
  assert.match(webhook.secret, /^whsk_/);
  assert.match(webhook.public_key, /^whpk_/);

  const published = await hw.publish("order.created", { id: 7 });
  const request = await receiver.next();
  assert.match(request.headers["webhook-signature"], /^v1a,/);
  assert.equal(request.headers["x-webhook-signature"], undefined);
  // Web Crypto (Node's OpenSSL), not hookwire's code, checks the signature.
  const body = await verify(request.body, request.headers, webhook.public_key);
  assert.equal(body.id, published.id);
  await assert.rejects(verify(request.body + " ", request.headers, webhook.public_key), /no signature matches/);
});

test("a client certificate is checked and write-only", async () => {
  const hw = await newTenant(server);
  const webhook = await hw.webhooks.create({ url: receiver.url, events: ["order.*"] });
  assert.equal(webhook.has_client_certificate, false);
  await assert.rejects(
    hw.webhooks.update(webhook.id, { client_certificate: { cert_pem: "not pem", key_pem: "not pem" } }),
    (err) => err.status === 422 && err.field === "client_certificate.cert_pem",
  );
  const removed = await hw.webhooks.update(webhook.id, { client_certificate: null });
  assert.equal(removed.has_client_certificate, false);
  assert.ok(!JSON.stringify(await hw.webhooks.get(webhook.id)).includes("cert_pem"));
});
