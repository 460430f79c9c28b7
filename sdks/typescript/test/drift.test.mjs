// The client against the server's OpenAPI document (docs/openapi.json, which the
// Rust suite keeps equal to what the server serves): the generated types are
// current and every operation has a method.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { Hookwire, OPERATIONS } from "../dist/esm/index.js";
import { REPO } from "./support/helpers.mjs";

const SDK = join(REPO, "sdks/typescript");
const document = JSON.parse(readFileSync(join(REPO, "docs/openapi.json"), "utf8"));

test("src/openapi.ts is what openapi-typescript makes of the document (npm run generate)", () => {
  const out = join(mkdtempSync(join(tmpdir(), "hookwire-ts-")), "openapi.ts");
  execFileSync(join(SDK, "node_modules/.bin/openapi-typescript"), [join(REPO, "docs/openapi.json"), "-o", out], {
    stdio: "ignore",
  });
  assert.equal(readFileSync(join(SDK, "src/openapi.ts"), "utf8"), readFileSync(out, "utf8"));
});

test("every operation of the document has exactly one method", () => {
  const documented = Object.entries(document.paths)
    .filter(([path]) => path.startsWith("/api/v1/"))
    .flatMap(([, item]) =>
      Object.entries(item)
        .filter(([method]) => ["get", "post", "put", "patch", "delete"].includes(method))
        .map(([, op]) => op.operationId),
    );
  assert.deepEqual(Object.keys(OPERATIONS).sort(), documented.sort());
  const methods = Object.values(OPERATIONS);
  assert.equal(new Set(methods).size, methods.length, "two operations share a method");
  const client = new Hookwire({ baseUrl: "http://127.0.0.1:1", apiKey: "k" });
  for (const path of methods) {
    const [resource, method] = path.split(".");
    assert.equal(typeof client[resource]?.[method], "function", path);
  }
});

test("the version follows the server's", () => {
  const cargo = readFileSync(join(REPO, "Cargo.toml"), "utf8");
  const server = /^version = "([^"]+)"/m.exec(cargo)[1];
  assert.equal(JSON.parse(readFileSync(join(SDK, "package.json"), "utf8")).version, server);
});
