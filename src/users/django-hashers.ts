import { verify as argon2Verify } from "@node-rs/argon2";
import bcrypt from "bcryptjs";
import { createHash, pbkdf2, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

// Password hashes as Django stores them in auth_user.password, kept by
// `manage import-django` so people log in with the passwords they have. Only
// checking is done here: a user who logs in gets our own argon2id instead, as
// Django replaces a hash made with an older hasher on a successful login.

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (
  password: Buffer,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** Django's UNUSABLE_PASSWORD_PREFIX: set_unusable_password() writes "!" and random characters. */
const UNUSABLE_PREFIX = "!";

// Bounds on costs read from the stored hash, so a tampered row cannot tie up
// the server: well above anything Django has ever defaulted to.
const MAX_PBKDF2_ITERATIONS = 10_000_000;
const MAX_SCRYPT_N = 2 ** 20;
const MAX_SCRYPT_R = 64;
const MAX_SCRYPT_P = 16;

export type DjangoHash =
  | { algorithm: "pbkdf2_sha256" | "pbkdf2_sha1"; iterations: number; salt: string; hash: Buffer }
  | { algorithm: "argon2"; phc: string }
  | { algorithm: "bcrypt_sha256" | "bcrypt"; bcrypt: string }
  | { algorithm: "scrypt"; n: number; r: number; p: number; salt: string; hash: Buffer };

/** What an imported hash means for its user. */
export type DjangoHashStatus = "usable" | "unusable" | "unsupported";

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

/**
 * Reads a Django-encoded hash of a hasher we can check; null for anything
 * else (unusable, legacy MD5/SHA1/crypt hashers, malformed or out-of-bounds).
 */
export function parseDjangoHash(encoded: string): DjangoHash | null {
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
      const iterations = positive(parts[0], MAX_PBKDF2_ITERATIONS);
      const salt = parts[1]!;
      const hash = decodeBase64(parts[2]);
      const size = algorithm === "pbkdf2_sha256" ? 32 : 20;
      if (iterations === null || salt === "" || hash === null || hash.length !== size) return null;
      return { algorithm, iterations, salt, hash };
    }
    case "argon2": {
      // argon2$argon2id$v=19$m=102400,t=2,p=8$<salt>$<hash>: argon2-cffi's PHC string minus its leading "$".
      if (!/^argon2(id|i|d)\$/.test(rest)) return null;
      return { algorithm, phc: `$${rest}` };
    }
    case "bcrypt_sha256":
    case "bcrypt": {
      // bcrypt_sha256$$2b$12$<53 characters>: the bcrypt string itself follows the first "$".
      if (!/^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/.test(rest)) return null;
      return { algorithm, bcrypt: rest };
    }
    case "scrypt": {
      // scrypt$<N>$<salt>$<r>$<p>$<base64 hash> (Django 4.0+), 64-byte key.
      const parts = rest.split("$");
      if (parts.length !== 5) return null;
      const n = positive(parts[0], MAX_SCRYPT_N);
      const salt = parts[1]!;
      const r = positive(parts[2], MAX_SCRYPT_R);
      const p = positive(parts[3], MAX_SCRYPT_P);
      const hash = decodeBase64(parts[4]);
      if (n === null || r === null || p === null || salt === "" || hash === null || hash.length !== 64) return null;
      if ((n & (n - 1)) !== 0 || n < 2) return null;
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

/** Django's check_password for the hashers above; false for everything else, never a throw. */
export async function verifyDjangoPassword(encoded: string, password: string): Promise<boolean> {
  const parsed = parseDjangoHash(encoded);
  if (!parsed) return false;
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
        return await bcrypt.compare(prehashed, parsed.bcrypt);
      }
      case "bcrypt":
        return await bcrypt.compare(password, parsed.bcrypt);
      case "scrypt": {
        const { n, r, p } = parsed;
        // Node refuses above 32 MiB by default; the bounds above keep this finite.
        const maxmem = 128 * n * r * 2 + 128 * r * p + 1024 * 1024;
        const derived = await scryptAsync(secret, Buffer.from(parsed.salt, "utf8"), 64, { N: n, r, p, maxmem });
        return sameBytes(derived, parsed.hash);
      }
    }
  } catch {
    // A malformed stored hash is a failed login, not a crash.
    return false;
  }
}
