// A real `hookwire serve` and a real receiver on loopback for the tests. The
// binary is $HOOKWIRE_BIN (the Rust test suite sets it to the binary it built);
// without it, target/release/hookwire of this repository.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

import { Hookwire } from "../../dist/esm/index.js";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
export const ADMIN = "sdk-test-admin-token";

async function freePort() {
  const server = createNetServer();
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

/** `hookwire serve` on a fresh SQLite file; `settings` become HOOKWIRE_* variables. */
export async function startServer(settings = {}) {
  const binary = process.env.HOOKWIRE_BIN ?? join(REPO, "target/release/hookwire");
  if (!existsSync(binary)) throw new Error(`no hookwire binary at ${binary}: build it or set HOOKWIRE_BIN`);
  const dir = mkdtempSync(join(tmpdir(), "hookwire-ts-"));
  const port = await freePort();
  const env = {
    ...process.env,
    HOOKWIRE_DATABASE_URL: `sqlite://${dir}/hookwire.db`,
    HOOKWIRE_LISTEN: `127.0.0.1:${port}`,
    HOOKWIRE_ADMIN_TOKEN: ADMIN,
    HOOKWIRE_ALLOW_HTTP: "true",
    HOOKWIRE_ALLOW_PRIVATE_NETWORKS: "true",
    HOOKWIRE_API_RATE_LIMIT_PER_SECOND: "0",
    RUST_LOG: "warn",
  };
  for (const [key, value] of Object.entries(settings)) env[`HOOKWIRE_${key.toUpperCase()}`] = value;
  const child = spawn(binary, ["serve"], { cwd: dir, env, stdio: ["ignore", "ignore", "inherit"] });
  let exited = null;
  child.on("exit", (code) => (exited = code));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`hookwire serve exited with ${exited}`);
    try {
      if ((await fetch(`${baseUrl}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((ok) => setTimeout(ok, 50));
  }
  const stop = async () => {
    if (exited === null) {
      const done = new Promise((ok) => child.on("exit", ok));
      child.kill("SIGTERM");
      await done;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { baseUrl, stop, admin: (options = {}) => new Hookwire({ baseUrl, apiKey: ADMIN, ...options }) };
}

/** A started server with the test catalog of event types. */
export async function startServerWithCatalog(settings = {}) {
  const server = await startServer(settings);
  const admin = server.admin();
  for (const name of ["order.created", "order.paid", "invoice.sent"]) {
    await admin.eventTypes.create({ name, description: `${name} (test)` });
  }
  return server;
}

/** A client signed in as a new tenant (its id in `.tenantId`, its key in `.apiKey`). */
export async function newTenant(server) {
  const created = await server.admin().tenants.create(`tenant-${process.hrtime.bigint()}`);
  const client = new Hookwire({ baseUrl: server.baseUrl, apiKey: created.api_key });
  return Object.assign(client, { tenantId: created.id, apiKey: created.api_key });
}

/**
 * An HTTP endpoint on loopback that records every request; it answers each with
 * the next status of `answers` (then 200).
 */
export async function startReceiver() {
  const waiting = [];
  const received = [];
  const answers = [];
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    res.writeHead(answers.shift() ?? 200).end("ok");
    const request = { headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
    const next = waiting.shift();
    if (next) next(request);
    else received.push(request);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    answers,
    next(timeoutMs = 10_000) {
      if (received.length) return Promise.resolve(received.shift());
      return new Promise((ok, fail) => {
        const timer = setTimeout(() => fail(new Error("no delivery arrived")), timeoutMs);
        waiting.push((request) => {
          clearTimeout(timer);
          ok(request);
        });
      });
    },
    close: () => new Promise((ok) => server.close(ok)),
  };
}

/** Poll `predicate` until it returns something truthy. */
export async function waitFor(predicate, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await predicate();
    if (value) return value;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error("condition not met in time");
}

/** Every item of an async iterator. */
export async function all(iterator) {
  const items = [];
  for await (const item of iterator) items.push(item);
  return items;
}
