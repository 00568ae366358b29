import { Algorithm, hash, verify } from "@node-rs/argon2";
import { verifyDjangoPassword } from "./django-hashers";

// argon2id at one of the settings OWASP's Password Storage Cheat Sheet lists
// as giving an equal level of defense (46 MiB x 1 pass, 19 MiB x 2, 12 MiB x
// 3, 9 MiB x 4, 7 MiB x 5; they differ only in trading memory for CPU): 12 MiB,
// 3 passes, 1 lane. About 50 ms a hash on this project's 2-core machines, the
// same CPU as 19 MiB x 2, with 7 MiB less memory per login in flight, which a
// worker's memory budget (BENCHMARKS.md) needs. The argon2 package's 64 MiB
// defaults would take ~250 ms and cap logins at a few per second per core.
// Hashes stored with other parameters (19 MiB x 2 before, or imported) verify
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

export async function checkStoredPassword(encoded: string, password: string): Promise<PasswordCheck> {
  if (!encoded.startsWith("$argon2")) {
    const ok = await verifyDjangoPassword(encoded, password);
    return { ok, needsRehash: ok };
  }
  try {
    return { ok: await verify(encoded, password), needsRehash: false };
  } catch {
    // A malformed stored hash is a failed login, not a crash.
    return { ok: false, needsRehash: false };
  }
}

export async function verifyPassword(encoded: string, password: string): Promise<boolean> {
  return (await checkStoredPassword(encoded, password)).ok;
}

let dummy: Promise<string> | undefined;

/**
 * Spends the time of a real check when there is no user to check against, so
 * an unknown username cannot be told from a wrong password by timing.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummy ??= hashPassword("dummy password: no account has it");
  await verifyPassword(await dummy, password);
  return false;
}
