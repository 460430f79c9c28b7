// verify and sign against the Standard Webhooks reference vector and the
// reference library (`standardwebhooks` on npm).

import assert from "node:assert/strict";
import { test } from "node:test";

import { Webhook as ReferenceVerifier } from "standardwebhooks";

import { sign, verify, WebhookVerificationError } from "../dist/esm/index.js";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TIMESTAMP = 1614265330;
const BODY = '{"test": 2432232314}';
const EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const AT = { now: new Date(TIMESTAMP * 1000) };

const headers = (signature, timestamp = TIMESTAMP) => ({
  "Webhook-Id": MSG_ID,
  "Webhook-Timestamp": String(timestamp),
  "Webhook-Signature": signature,
});
const refused = (pattern) => (error) => error instanceof WebhookVerificationError && pattern.test(error.message);

test("the reference vector signs and verifies", async () => {
  assert.equal(await sign(SECRET, MSG_ID, TIMESTAMP, BODY), EXPECTED);
  assert.deepEqual(await verify(BODY, headers(EXPECTED), SECRET, AT), { test: 2432232314 });
  assert.deepEqual(await verify(new TextEncoder().encode(BODY), new Headers(headers(EXPECTED)), SECRET, AT), {
    test: 2432232314,
  });
});

test("any of several signatures verifies during a rotation", async () => {
  const other = await sign("whsec_" + btoa("x".repeat(32)), MSG_ID, TIMESTAMP, BODY);
  assert.deepEqual(await verify(BODY, headers(`${other} ${EXPECTED}`), SECRET, AT), { test: 2432232314 });
});

test("a tampered body, a wrong secret and a stale timestamp are refused", async () => {
  await assert.rejects(verify('{"test": 2432232315}', headers(EXPECTED), SECRET, AT), refused(/no signature/));
  await assert.rejects(verify(BODY, headers(EXPECTED), "whsec_" + btoa("y".repeat(32)), AT), refused(/no signature/));
  await assert.rejects(
    verify(BODY, headers(EXPECTED), SECRET, { now: new Date((TIMESTAMP + 301) * 1000) }),
    refused(/away from now/),
  );
  await assert.rejects(verify(BODY, { "webhook-id": MSG_ID }, SECRET), refused(/missing/));
});

test("a secret without the prefix is used as its bytes", async () => {
  const now = Math.floor(Date.now() / 1000);
  const signature = await sign("plain-secret", MSG_ID, now, BODY);
  assert.deepEqual(await verify(BODY, headers(signature, now), "plain-secret"), { test: 2432232314 });
});

test("the reference library accepts what sign makes", async () => {
  const now = Math.floor(Date.now() / 1000);
  const signature = await sign(SECRET, MSG_ID, now, BODY);
  assert.deepEqual(new ReferenceVerifier(SECRET).verify(BODY, headers(signature, now)), { test: 2432232314 });
});
