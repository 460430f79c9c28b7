/**
 * Checking that a request really came from hookwire (receiver side).
 *
 * hookwire signs every delivery the Standard Webhooks way: `webhook-signature`
 * holds one or more space-separated `v1,<base64 HMAC-SHA256>` of
 * `"{webhook-id}.{webhook-timestamp}.{body}"`; during a secret rotation one per
 * secret. The key is the base64 after `whsec_`, or the secret's UTF-8 bytes when
 * it has no such prefix. A webhook with `signature_scheme: "ed25519"` sends
 * `v1a,<base64 Ed25519 signature>` of the same text instead: pass its public key
 * (`whpk_…`, from the webhook's view) where the secret goes. `verify` accepts a
 * request when any signature matches (HMAC compared in constant time) and the
 * timestamp is within `toleranceSeconds` of now, which stops replays of old
 * captured requests. Web Crypto does the HMAC and Ed25519, so this runs on
 * Node ≥ 20, browsers and edge runtimes.
 */

/** The request is not a valid, fresh hookwire delivery; the message says why. */
export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookVerificationError";
  }
}

/** Request headers in any of the usual forms. */
export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

const encoder = new TextEncoder();

async function subtle(): Promise<SubtleCrypto> {
  const global = globalThis.crypto?.subtle;
  if (global) return global;
  // Node 18 keeps Web Crypto in node:crypto; the specifier is hidden from bundlers.
  const specifier = "node:crypto";
  const nodeCrypto = (await import(specifier)) as { webcrypto: { subtle: SubtleCrypto } };
  return nodeCrypto.webcrypto.subtle;
}

function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function keyBytes(secret: string): Uint8Array {
  if (!secret.startsWith("whsec_")) return encoder.encode(secret);
  try {
    return base64ToBytes(secret.slice("whsec_".length));
  } catch {
    throw new TypeError("secret: whsec_ must be followed by base64");
  }
}

function bodyBytes(payload: string | Uint8Array): Uint8Array {
  return typeof payload === "string" ? encoder.encode(payload) : payload;
}

/** The `v1,…` signature hookwire sends for this id, time and body. */
export async function sign(
  secret: string,
  msgId: string,
  timestamp: number,
  payload: string | Uint8Array,
): Promise<string> {
  const crypto = await subtle();
  const key = await crypto.importKey("raw", keyBytes(secret) as BufferSource, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const prefix = encoder.encode(`${msgId}.${timestamp}.`);
  const body = bodyBytes(payload);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  const mac = new Uint8Array(await crypto.sign("HMAC", key, signed as BufferSource));
  return `v1,${bytesToBase64(mac)}`;
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(" ") : value;
  }
  return undefined;
}

/** Equal strings in time that depends only on their length. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/**
 * Verify a delivery and return its parsed JSON body.
 *
 * `payload` must be the raw body as received (before any JSON parsing). Rejects
 * with `WebhookVerificationError` when a header is missing, the timestamp is more
 * than `toleranceSeconds` (default 300) away from now, or no signature matches.
 */
export async function verify<T = unknown>(
  payload: string | Uint8Array,
  headers: HeaderSource,
  secret: string,
  options: { toleranceSeconds?: number; now?: Date } = {},
): Promise<T> {
  const msgId = header(headers, "webhook-id");
  const stamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!msgId || !stamp || !signatures) {
    throw new WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header");
  }
  const timestamp = Number(stamp);
  if (!Number.isInteger(timestamp)) throw new WebhookVerificationError("webhook-timestamp is not a number");
  const tolerance = options.toleranceSeconds ?? 300;
  const now = (options.now ?? new Date()).getTime() / 1000;
  if (Math.abs(now - timestamp) > tolerance) {
    throw new WebhookVerificationError(`webhook-timestamp is more than ${tolerance} s away from now`);
  }
  const expected = secret.startsWith("whpk_") ? "" : await sign(secret, msgId, timestamp, payload);
  const matches = secret.startsWith("whpk_")
    ? await ed25519Matches(secret, msgId, timestamp, payload, signatures)
    : signatures
        .split(" ")
        .filter((candidate) => candidate.startsWith("v1,"))
        .some((candidate) => constantTimeEqual(candidate, expected));
  if (!matches) throw new WebhookVerificationError("no signature matches");
  const text = typeof payload === "string" ? payload : new TextDecoder().decode(payload);
  return JSON.parse(text) as T;
}

/** Whether a `v1a,` signature of the signed text verifies with `publicKey`. */
async function ed25519Matches(
  publicKey: string,
  msgId: string,
  timestamp: number,
  payload: string | Uint8Array,
  signatures: string,
): Promise<boolean> {
  let raw: Uint8Array;
  try {
    raw = base64ToBytes(publicKey.slice("whpk_".length));
  } catch {
    throw new TypeError("public key: whpk_ must be followed by base64 of 32 bytes");
  }
  if (raw.length !== 32) throw new TypeError("public key: whpk_ must be followed by base64 of 32 bytes");
  const crypto = await subtle();
  const key = await crypto.importKey("raw", raw as BufferSource, { name: "Ed25519" }, false, ["verify"]);
  const prefix = encoder.encode(`${msgId}.${timestamp}.`);
  const body = bodyBytes(payload);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  for (const candidate of signatures.split(" ")) {
    if (!candidate.startsWith("v1a,")) continue;
    let signature: Uint8Array;
    try {
      signature = base64ToBytes(candidate.slice("v1a,".length));
    } catch {
      continue;
    }
    if (await crypto.verify({ name: "Ed25519" }, key, signature as BufferSource, signed as BufferSource)) return true;
  }
  return false;
}
