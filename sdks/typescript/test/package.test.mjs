// `npm pack` makes a package with both builds and their types, and nothing else
// from the repository (no tests, sources of examples or dev tooling).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";

import { REPO } from "./support/helpers.mjs";

test("npm pack holds the ES module and CommonJS builds with their types", () => {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const out = execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: join(REPO, "sdks/typescript"),
    encoding: "utf8",
  });
  const files = JSON.parse(out)[0].files.map((f) => f.path);
  for (const needed of ["dist/esm/index.js", "dist/esm/index.d.ts", "dist/cjs/index.js", "dist/cjs/index.d.ts", "dist/cjs/package.json", "package.json", "README.md"]) {
    assert.ok(files.includes(needed), `${needed} missing from ${files}`);
  }
  assert.ok(!files.some((f) => f.startsWith("test/") || f.startsWith("src/") || f.startsWith("dist/examples")), String(files));
});
