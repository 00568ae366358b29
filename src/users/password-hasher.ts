import { Algorithm, hash } from "@node-rs/argon2";
import { parseDjangoHash, verifyParsedHash, type DjangoHash } from "./django-hashers";

// argon2id at one of the settings OWASP's Password Storage Cheat Sheet lists
// as giving an equal level of defense (46 MiB x 1 pass, 19 MiB x 2, 12 MiB x
// 3, 9 MiB x 4, 7 MiB x 5; they differ only in trading memory for CPU): 12 MiB,
// 3 passes, 1 lane. About 50 ms a hash on this project's 2-core machines, the
// same CPU as 19 MiB x 2, with 7 MiB less memory per login in flight, which a
// worker's memory budget (BENCHMARKS.md) needs. The argon2 package's 64 MiB
// defaults would take ~250 ms and cap logins at a few per second per core.
// Hashes stored with other parameters (older settings, or imported) verify
// with their own. @node-rs/argon2 runs each hash on libuv's thread pool, so
// the event loop keeps serving other requests while a login is checked.
const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 12_288, timeCost: 3, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export interface PasswordCheck {
  ok: boolean;
  /** The stored hash is not ours (imported from Django): replace it now that the password is known. */
  needsRehash: boolean;
}

/**
 * Checks a password against a stored hash: ours, or one imported from Django
 * (django-hashers.ts). A hash that is not checked (unusable, a legacy hasher,
 * costs beyond their bounds) costs one check of our own hasher instead, as an
 * unknown username does, so that none of them can be told from a wrong
 * password by the time the answer takes.
 */
export async function checkStoredPassword(encoded: string, password: string): Promise<PasswordCheck> {
  const parsed = parseDjangoHash(encoded);
  if (!parsed) {
    await verifyAgainstDummy(password);
    return { ok: false, needsRehash: false };
  }
  const ok = await verifyParsedHash(parsed, password);
  // An imported Django hash is replaced by ours once the password is known.
  const ours = parsed.algorithm === "argon2" && parsed.ours;
  return { ok, needsRehash: ok && !ours };
}

export async function verifyPassword(encoded: string, password: string): Promise<boolean> {
  return (await checkStoredPassword(encoded, password)).ok;
}

let dummy: Promise<DjangoHash> | undefined;

/**
 * Spends the time of a real check when there is nothing to check against (no
 * such user, or a hash that is never checked), so these cannot be told from a
 * wrong password by timing.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummy ??= hashPassword("dummy password: no account has it").then((phc) => parseDjangoHash(phc)!);
  await verifyParsedHash(await dummy, password);
  return false;
}
