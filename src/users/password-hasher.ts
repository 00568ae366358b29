import { Algorithm, hash, verify } from "@node-rs/argon2";
import { verifyDjangoPassword } from "./django-hashers";

// argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about
// 50 ms a hash on this project's 2-core machines, versus ~250 ms for the
// argon2 package's 64 MiB defaults, which would cap logins at a few per second
// per core. @node-rs/argon2 runs each hash on libuv's thread pool, so the event
// loop keeps serving other requests while a login is checked.
const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

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
