import { verify as argon2Verify } from "@node-rs/argon2";
import { verify as bcryptVerify } from "@node-rs/bcrypt";
import { createHash, pbkdf2, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

// Password hashes as Django stores them in auth_user.password, kept by
// `manage import-django` so people log in with the passwords they have, and
// the bare argon2 PHC string this server stores itself. Only checking is done
// here: a user who logs in gets our own argon2id instead, as Django replaces
// a hash made with an older hasher on a successful login.
//
// A stored hash carries its own costs, so a row written by anyone who could
// write to the Django database (bcrypt at cost 31, argon2 with 4 GiB) would
// tie up a core for days or take the worker's memory at the first login. Each
// hasher has bounds, each about a second of CPU or less on a 2-core machine
// of this project's kind and at most 100 MiB of memory, far above Django's
// defaults (the figures are in the README's Security section). A hash beyond
// them, like a hash of a hasher we do not check, is "password must be reset":
// counted so by the import, and never checked at login.
//
// Every check runs off the event loop: PBKDF2 and scrypt are node:crypto's
// asynchronous forms, argon2 and bcrypt native code, all on libuv's threads.

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (
  password: Buffer,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

const MiB = 1024 * 1024;

/** The costs a stored hash may ask for; beyond them it is never checked. */
export const HASH_BOUNDS = {
  /** PBKDF2-SHA256 and -SHA1 (Django's default: 260,000 in 3.2, 1,200,000 in 6.0). */
  pbkdf2Iterations: 4_000_000,
  /** bcrypt and bcrypt_sha256, log2 of the rounds (Django's default: 12). */
  bcryptCost: 13,
  /** argon2 (Django's default since 3.2, argon2-cffi's then: m=102,400 KiB, t=2, p=8). */
  argon2: { memoryKiB: 102_400, passes: 16, lanes: 16 },
  /** scrypt: memory 128·N·r, work 128·N·r·p (Django's default: N=2^14, r=8, p=1, so 16 MiB and 16 MiB). */
  scrypt: { memoryBytes: 64 * MiB, workBytes: 256 * MiB, lanes: 16 },
} as const;

export type DjangoHash =
  | { algorithm: "pbkdf2_sha256" | "pbkdf2_sha1"; iterations: number; salt: string; hash: Buffer }
  /** `ours`: the bare PHC string (this server's own hashes), not Django's `argon2$...`. */
  | { algorithm: "argon2"; phc: string; ours: boolean }
  | { algorithm: "bcrypt_sha256" | "bcrypt"; bcrypt: string }
  | { algorithm: "scrypt"; n: number; r: number; p: number; salt: string; hash: Buffer };

/**
 * What a stored hash means for its user, the same at import and at login:
 * "usable" hashes are checked at login, the others never are.
 */
export type DjangoHashStatus = "usable" | "unusable" | "unsupported";

/** Django's UNUSABLE_PASSWORD_PREFIX: set_unusable_password() writes "!" and random characters. */
const UNUSABLE_PREFIX = "!";

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const POSITIVE = /^[1-9][0-9]{0,9}$/;

function decodeBase64(text: string | undefined): Buffer | null {
  if (text === undefined || !BASE64.test(text) || text.length % 4 !== 0) return null;
  return Buffer.from(text, "base64");
}

function positive(text: string | undefined, max: number): number | null {
  if (text === undefined || !POSITIVE.test(text)) return null;
  const n = Number(text);
  return n <= max ? n : null;
}

// argon2-cffi's PHC string: $argon2id$v=19$m=102400,t=2,p=8$<salt>$<hash> (v= absent in version 1.0 hashes).
const ARGON2_PHC =
  /^\$argon2(?:id|i|d)\$(?:v=(?:16|19)\$)?m=([0-9]{1,10}),t=([0-9]{1,10}),p=([0-9]{1,10})\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

function argon2WithinBounds(phc: string): boolean {
  const match = ARGON2_PHC.exec(phc);
  if (!match) return false;
  const [m, t, p] = match.slice(1).map(Number) as [number, number, number];
  const { memoryKiB, passes, lanes } = HASH_BOUNDS.argon2;
  return t >= 1 && t <= passes && p >= 1 && p <= lanes && m >= 8 * p && m <= memoryKiB;
}

/**
 * Reads a stored hash we check: Django's encoding of one of its hashers, or
 * a bare argon2 PHC string; null for anything else (unusable, legacy
 * MD5/SHA1/crypt hashers, malformed, or costs beyond HASH_BOUNDS).
 */
export function parseDjangoHash(encoded: string): DjangoHash | null {
  if (encoded.startsWith("$argon2")) {
    return argon2WithinBounds(encoded) ? { algorithm: "argon2", phc: encoded, ours: true } : null;
  }
  const dollar = encoded.indexOf("$");
  if (dollar < 0) return null;
  const algorithm = encoded.slice(0, dollar);
  const rest = encoded.slice(dollar + 1);
  switch (algorithm) {
    case "pbkdf2_sha256":
    case "pbkdf2_sha1": {
      // pbkdf2_sha256$<iterations>$<salt>$<base64 hash>; Django's salts never contain "$".
      const parts = rest.split("$");
      if (parts.length !== 3) return null;
      const iterations = positive(parts[0], HASH_BOUNDS.pbkdf2Iterations);
      const salt = parts[1]!;
      const hash = decodeBase64(parts[2]);
      const size = algorithm === "pbkdf2_sha256" ? 32 : 20;
      if (iterations === null || salt === "" || hash === null || hash.length !== size) return null;
      return { algorithm, iterations, salt, hash };
    }
    case "argon2": {
      // argon2$argon2id$v=19$m=102400,t=2,p=8$<salt>$<hash>: argon2-cffi's PHC string minus its leading "$".
      const phc = `$${rest}`;
      return argon2WithinBounds(phc) ? { algorithm, phc, ours: false } : null;
    }
    case "bcrypt_sha256":
    case "bcrypt": {
      // bcrypt_sha256$$2b$12$<53 characters>: the bcrypt string itself follows the first "$".
      const match = /^\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53}$/.exec(rest);
      const cost = Number(match?.[1]);
      if (!match || cost < 4 || cost > HASH_BOUNDS.bcryptCost) return null;
      return { algorithm, bcrypt: rest };
    }
    case "scrypt": {
      // scrypt$<N>$<salt>$<r>$<p>$<base64 hash> (Django 4.0+), 64-byte key.
      const parts = rest.split("$");
      if (parts.length !== 5) return null;
      const { memoryBytes, workBytes, lanes } = HASH_BOUNDS.scrypt;
      const n = positive(parts[0], memoryBytes / 128);
      const salt = parts[1]!;
      const r = positive(parts[2], memoryBytes / 128);
      const p = positive(parts[3], lanes);
      const hash = decodeBase64(parts[4]);
      if (n === null || r === null || p === null || salt === "" || hash === null || hash.length !== 64) return null;
      if ((n & (n - 1)) !== 0 || n < 2) return null;
      if (128 * n * r > memoryBytes || 128 * n * r * p > workBytes) return null;
      return { algorithm, n, r, p, salt, hash };
    }
    default:
      return null;
  }
}

export function djangoHashStatus(encoded: string): DjangoHashStatus {
  if (encoded === "" || encoded.startsWith(UNUSABLE_PREFIX)) return "unusable";
  return parseDjangoHash(encoded) ? "usable" : "unsupported";
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Django's check_password for a hash parseDjangoHash read; false on any failure, never a throw. */
export async function verifyParsedHash(parsed: DjangoHash, password: string): Promise<boolean> {
  const secret = Buffer.from(password, "utf8");
  try {
    switch (parsed.algorithm) {
      case "pbkdf2_sha256":
      case "pbkdf2_sha1": {
        const digest = parsed.algorithm === "pbkdf2_sha256" ? "sha256" : "sha1";
        const derived = await pbkdf2Async(
          secret,
          Buffer.from(parsed.salt, "utf8"),
          parsed.iterations,
          parsed.hash.length,
          digest,
        );
        return sameBytes(derived, parsed.hash);
      }
      case "argon2":
        return await argon2Verify(parsed.phc, secret);
      case "bcrypt_sha256": {
        // Django hashes the password with SHA-256 first (hex) so bcrypt's 72-byte limit does not truncate it.
        const prehashed = createHash("sha256").update(secret).digest("hex");
        return await bcryptVerify(prehashed, parsed.bcrypt);
      }
      case "bcrypt":
        return await bcryptVerify(secret, parsed.bcrypt);
      case "scrypt": {
        const { n, r, p } = parsed;
        // Node refuses above 32 MiB unless told; HASH_BOUNDS keep this at most 64 MiB and a little.
        const maxmem = 128 * n * r * 2 + 128 * r * p + MiB;
        const derived = await scryptAsync(secret, Buffer.from(parsed.salt, "utf8"), 64, { N: n, r, p, maxmem });
        return sameBytes(derived, parsed.hash);
      }
    }
  } catch {
    // A malformed stored hash is a failed login, not a crash.
    return false;
  }
}
