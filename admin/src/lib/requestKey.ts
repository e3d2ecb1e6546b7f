/**
 * A fresh Idempotency-Key for one request the user asked for (a chat message, a refund): a retry or a double click
 * sends the same key, so the API does it once; the next request gets a new key.
 */
export function newRequestKey(): string {
  return globalThis.crypto?.randomUUID?.() ?? `k${Date.now()}${Math.random().toString(16).slice(2)}`;
}
