// Each kind of refusal maps to the typed error, with the rate-limit headers.

import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";

import { Hookwire, HookwireConnectionError, HookwireError } from "../dist/esm/index.js";
import { all, newTenant, startServer, startServerWithCatalog } from "./support/helpers.mjs";

let server;
before(async () => {
  server = await startServerWithCatalog();
});
after(async () => {
  await server.stop();
});

const fails = (check) => (error) => {
  assert.ok(error instanceof HookwireError, `not a HookwireError: ${error}`);
  check(error);
  return true;
};

test("401, 404, 409, 422 and 413", async () => {
  const stranger = new Hookwire({ baseUrl: server.baseUrl, apiKey: "hw_not_a_key", maxRetries: 0 });
  await assert.rejects(all(stranger.webhooks.list()), fails((e) => {
    assert.ok(e.isUnauthorized());
    assert.equal(e.status, 401);
    assert.ok(e.message);
  }));
  const hw = await newTenant(server);
  await assert.rejects(hw.deliveries.get("dlv_doesnotexist"), fails((e) => assert.ok(e.isNotFound())));
  await assert.rejects(
    server.admin().eventTypes.create({ name: "order.created" }),
    fails((e) => assert.ok(e.isConflict() && e.status === 409)),
  );
  await assert.rejects(
    hw.webhooks.create({ url: "ftp://example.com/hook", events: ["order.created"] }),
    fails((e) => assert.ok(e.isInvalid() && e.code === "invalid_webhook_url")),
  );
  await assert.rejects(
    hw.webhooks.create({ url: "http://127.0.0.1:9/hook", events: ["order.created"], timeout_seconds: 0 }),
    fails((e) => assert.ok(e.isInvalid() && e.field === "timeout_seconds")),
  );
  await assert.rejects(
    hw.publish("order.created", { blob: "x".repeat(1024 * 1024 + 1) }),
    fails((e) => assert.ok(e.isTooLarge() && e.status === 413)),
  );
});

test("429 carries the rate-limit headers and is retried after Retry-After", async () => {
  const limited = await startServer({ api_rate_limit_per_second: "1", api_rate_limit_burst: "1" });
  try {
    const impatient = limited.admin({ maxRetries: 0 });
    await impatient.eventTypes.list();
    await assert.rejects(impatient.eventTypes.list(), fails((e) => {
      assert.ok(e.isRateLimited());
      assert.equal(e.code, "rate_limited");
      assert.equal(e.rateLimit.limit, 1);
      assert.equal(e.rateLimit.remaining, 0);
      assert.ok(e.retryAfter >= 1);
    }));
    const patient = limited.admin({ maxRetries: 3 });
    const started = Date.now();
    await patient.eventTypes.list();
    assert.ok((await patient.eventTypes.list()).length >= 1);
    assert.ok(Date.now() - started >= 500, "the second call waited for Retry-After");
  } finally {
    await limited.stop();
  }
});

test("no server is a connection error after the retries", async () => {
  const probe = createServer();
  await new Promise((ok) => probe.listen(0, "127.0.0.1", ok));
  const { port } = probe.address();
  await new Promise((ok) => probe.close(ok));
  const client = new Hookwire({ baseUrl: `http://127.0.0.1:${port}`, apiKey: "key", maxRetries: 1 });
  await assert.rejects(client.publish("order.created", {}), (error) => {
    assert.ok(error instanceof HookwireConnectionError);
    assert.equal(error.status, undefined);
    assert.equal(error.code, "connection_error");
    return true;
  });
});

test("bad client settings are refused", () => {
  assert.throws(() => new Hookwire({ baseUrl: "", apiKey: "key" }), /baseUrl/);
  assert.throws(() => new Hookwire({ baseUrl: "http://127.0.0.1:1", apiKey: "" }), /apiKey/);
  assert.throws(() => new Hookwire({ baseUrl: "http://127.0.0.1:1", apiKey: "k", maxRetries: -1 }), /maxRetries/);
});
