import { createHash, randomBytes } from "node:crypto";

// Everything about key material, and nothing else (as knox's crypto.py).

/** 20 random bytes as 40 lowercase hex characters, the shape of DRF's keys. */
export const KEY_PATTERN = /^[0-9a-f]{40}$/;
export const PREFIX_LENGTH = 8;

export function generateKey(): string {
  return randomBytes(20).toString("hex");
}

/**
 * SHA-256 of the key. Keys carry 160 random bits, so a fast unsalted digest
 * is enough (knox does the same): nothing can be guessed from a stolen table.
 */
export function digestKey(key: string): string {
  return createHash("sha256").update(key, "latin1").digest("hex");
}

export function keyPrefix(key: string): string {
  return key.slice(0, PREFIX_LENGTH);
}
