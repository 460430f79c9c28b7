// The README's programs run as shown: the quickstart against the real server,
// the route handler with a delivery signed as hookwire signs it.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";

import { sign } from "../dist/esm/index.js";
import { newTenant, REPO, startServerWithCatalog } from "./support/helpers.mjs";

const SDK = join(REPO, "sdks/typescript");
let server;
before(async () => {
  server = await startServerWithCatalog();
});
after(async () => {
  await server.stop();
});

test("the quickstart registers, publishes and verifies", async () => {
  const tenant = await newTenant(server);
  const { stdout } = await promisify(execFile)(process.execPath, [join(SDK, "dist/examples/quickstart.js")], {
    env: { ...process.env, HOOKWIRE_URL: server.baseUrl, HOOKWIRE_API_KEY: tenant.apiKey },
    timeout: 60_000,
  });
  const body = JSON.parse(stdout.trim());
  assert.equal(body.type, "order.created");
  assert.deepEqual(body.data, { id: 42 });
});

test("the READMEs show the examples as they are", () => {
  const readme = readFileSync(join(SDK, "README.md"), "utf8");
  for (const file of ["quickstart.ts", "route.ts"]) {
    assert.ok(readme.includes(readFileSync(join(SDK, "examples", file), "utf8")), file);
  }
  const quickstart = readFileSync(join(SDK, "examples/quickstart.ts"), "utf8");
  assert.ok(readFileSync(join(REPO, "README.md"), "utf8").includes(quickstart), "the repository's README");
});

test("the route handler accepts a signed delivery and refuses a tampered one", async () => {
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  process.env.HOOKWIRE_WEBHOOK_SECRET = secret;
  const { POST } = await import(join(SDK, "dist/examples/route.js"));
  const body = JSON.stringify({ id: "evt_1", type: "order.created", data: { id: 1 } });
  const now = Math.floor(Date.now() / 1000);
  const headers = { "webhook-id": "evt_1", "webhook-timestamp": String(now), "webhook-signature": await sign(secret, "evt_1", now, body) };
  const post = (text) => POST(new Request("http://127.0.0.1/webhooks/hookwire", { method: "POST", body: text, headers }));
  assert.equal((await post(body)).status, 204);
  assert.equal((await post(body + " ")).status, 400);
});
