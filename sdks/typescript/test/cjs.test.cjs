// The CommonJS build loads with require() and works like the ES module one.

const assert = require("node:assert/strict");
const { test } = require("node:test");

const hookwire = require("../dist/cjs/index.js");

test("require('hookwire') gives the client, the errors and a working verify", async () => {
  assert.equal(typeof hookwire.Hookwire, "function");
  assert.equal(typeof hookwire.HookwireError, "function");
  const signature = await hookwire.sign(
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "msg_p5jXN8AQM9LWM0D4loKWxJek",
    1614265330,
    '{"test": 2432232314}',
  );
  assert.equal(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
});
