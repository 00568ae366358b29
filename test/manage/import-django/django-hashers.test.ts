import { hash as argon2Hash } from "@node-rs/argon2";
import { hashSync as bcryptHash } from "@node-rs/bcrypt";
import fc from "fast-check";
import { createHash, pbkdf2Sync } from "node:crypto";
import { HASH_BOUNDS, djangoHashStatus, parseDjangoHash, verifyParsedHash } from "../../../src/users/django-hashers";
import { checkStoredPassword, hashPassword } from "../../../src/users/password-hasher";
import { AT_BOUNDS, AT_DJANGO_DEFAULTS, BEYOND_BOUNDS, HOSTILE, PASSWORD } from "./django-vectors";

/** Django's check_password: false for a hash that is not checked. */
async function verifyDjangoPassword(encoded: string, password: string): Promise<boolean> {
  const parsed = parseDjangoHash(encoded);
  return parsed !== null && (await verifyParsedHash(parsed, password));
}

// The Django hash formats, checked against hashes Django 3.2 itself made
// (PBKDF2) or Django's own encode code run on Python's hashlib (scrypt), and
// as properties over arbitrary passwords and salts.

// From /usr/bin/python3 with Debian's Django 3.2: PBKDF2PasswordHasher().encode(PASSWORD, "seasalt2024", iterations=1000), etc.
const UNICODE_PASSWORD = "Contraseña-ñ-2024 用户";
const DJANGO_VECTORS: [string, string][] = [
  [UNICODE_PASSWORD, "pbkdf2_sha256$1000$seasalt2024$4w/henE27K8FZBE8QcqAdOhmWgm07Y1bxYUoNz0ZW9g="],
  [UNICODE_PASSWORD, "pbkdf2_sha1$1000$seasalt2024$1yFpjzhBD1VubkVmc9pWhOVqFNo="],
  // make_password("P@ssword123", salt): Django 3.2's default, 260000 iterations.
  ["P@ssword123", "pbkdf2_sha256$260000$abcdefghijklmnopqrstuv$OZ7ZLXZuMl8Zpjes2g+DEP1I6FMLgLiyl4jqCMDZBwY="],
  // Django 4's ScryptPasswordHasher.encode, line for line, on Python's hashlib.scrypt (n=2**14, r=8, p=1).
  [
    "пароль-密码-Ω-42",
    "scrypt$16384$Y0xtZtSwPXYdtcUtdFqgoV$8$1$rzxI39HFhipoQeOkipgjb32Rjxe70dfn8FUbMdIdmgXPuwc50aznCQ6zP20Gl2VnZbrYfwdWU+LABMzqLUvm3Q==",
  ],
];

describe("Django's hashes", () => {
  it.each(DJANGO_VECTORS)("checks %s against %s, and nothing else", async (password, encoded) => {
    expect(djangoHashStatus(encoded)).toBe("usable");
    expect(await verifyDjangoPassword(encoded, password)).toBe(true);
    expect(await verifyDjangoPassword(encoded, `${password} `)).toBe(false);
    expect(await verifyDjangoPassword(encoded, password.normalize("NFD"))).toBe(password === password.normalize("NFD"));
    // One character of the hash changed: no match.
    const last = encoded.length - 3;
    const tampered = encoded.slice(0, last) + (encoded[last] === "A" ? "B" : "A") + encoded.slice(last + 1);
    expect(await verifyDjangoPassword(tampered, password)).toBe(false);
    // A successful check asks for the hash to be replaced by ours.
    expect(await checkStoredPassword(encoded, password)).toEqual({ ok: true, needsRehash: true });
    expect(await checkStoredPassword(encoded, "wrong")).toEqual({ ok: false, needsRehash: false });
  });

  it("argon2: Django's string is argon2-cffi's PHC string after 'argon2'", async () => {
    const phc = await argon2Hash("Ωmega pass", { memoryCost: 1024, timeCost: 1, parallelism: 1 });
    const django = `argon2${phc}`;
    expect(parseDjangoHash(django)).toEqual({ algorithm: "argon2", phc, ours: false });
    expect(await verifyDjangoPassword(django, "Ωmega pass")).toBe(true);
    expect(await verifyDjangoPassword(django, "Ωmega pas")).toBe(false);
  });

  it("bcrypt_sha256 hashes the SHA-256 hex of the password (no 72-byte cut); bcrypt the password itself", async () => {
    const long = "x".repeat(80);
    const prehashed = createHash("sha256").update(long, "utf8").digest("hex");
    const encoded = `bcrypt_sha256$${bcryptHash(prehashed, 4)}`;
    expect(await verifyDjangoPassword(encoded, long)).toBe(true);
    expect(await verifyDjangoPassword(encoded, "x".repeat(79))).toBe(false);
    const plain = `bcrypt$${bcryptHash("short-pass", 4)}`;
    expect(await verifyDjangoPassword(plain, "short-pass")).toBe(true);
    expect(await verifyDjangoPassword(plain, prehashed)).toBe(false);
  });

  it("unusable ('!' prefix) and unknown hashers never match", async () => {
    for (const encoded of [
      "!",
      "!abc123XYZ",
      "",
      "md5$salt$" + "a".repeat(32),
      "sha1$s$" + "0".repeat(40),
      "crypt$$ab",
      "plaintext",
    ]) {
      expect(await verifyDjangoPassword(encoded, "")).toBe(false);
      expect(await verifyDjangoPassword(encoded, encoded)).toBe(false);
      expect((await checkStoredPassword(encoded, encoded)).ok).toBe(false);
    }
    expect(djangoHashStatus("!abc")).toBe("unusable");
    expect(djangoHashStatus("")).toBe("unusable");
    expect(djangoHashStatus("md5$salt$" + "a".repeat(32))).toBe("unsupported");
  });

  it("costs beyond the bounds are refused, not run", () => {
    expect(parseDjangoHash("pbkdf2_sha256$999999999$salt$4w/henE27K8FZBE8QcqAdOhmWgm07Y1bxYUoNz0ZW9g=")).toBeNull();
    expect(parseDjangoHash(`scrypt$${2 ** 24}$salt$8$1$${"A".repeat(86)}==`)).toBeNull();
    expect(parseDjangoHash(`scrypt$16383$salt$8$1$${"A".repeat(86)}==`)).toBeNull();
  });

  it.each(Object.entries({ ...AT_DJANGO_DEFAULTS, ...AT_BOUNDS }))(
    "Django's %s at its default or at the bound is checked, and matches only its password",
    async (_name, encoded) => {
      expect(djangoHashStatus(encoded)).toBe("usable");
      expect(await checkStoredPassword(encoded, PASSWORD)).toEqual({ ok: true, needsRehash: true });
      expect(await checkStoredPassword(encoded, `${PASSWORD}!`)).toEqual({ ok: false, needsRehash: false });
    },
    // Two checks at the bound: about 1.5 s each on a quiet machine, 9x that seen under load.
    120_000,
  );

  it.each(Object.entries({ ...BEYOND_BOUNDS, ...HOSTILE }))(
    "%s beyond the bounds must be reset: never checked, not even with its own password",
    async (_name, encoded) => {
      expect(parseDjangoHash(encoded)).toBeNull();
      expect(djangoHashStatus(encoded)).toBe("unsupported");
      // Checked, the Django-made ones would match, and the others take days or GiBs.
      expect(await checkStoredPassword(encoded, PASSWORD)).toEqual({ ok: false, needsRehash: false });
    },
  );

  it("the bounds sit above every default Django has had", () => {
    expect(HASH_BOUNDS.pbkdf2Iterations).toBeGreaterThanOrEqual(1_200_000); // Django 6.0
    expect(HASH_BOUNDS.bcryptCost).toBeGreaterThanOrEqual(12);
    expect(HASH_BOUNDS.argon2).toMatchObject({ memoryKiB: 102_400 }); // Django 3.2+: m=102400, t=2, p=8
    expect(HASH_BOUNDS.argon2.passes).toBeGreaterThanOrEqual(2);
    expect(HASH_BOUNDS.argon2.lanes).toBeGreaterThanOrEqual(8);
    expect(HASH_BOUNDS.scrypt.memoryBytes).toBeGreaterThanOrEqual(128 * 2 ** 14 * 8); // Django 4.0+: N=2^14, r=8, p=1
  });

  it("our own argon2id hashes still check, without a rehash", async () => {
    const ours = await hashPassword("correct horse");
    expect(await checkStoredPassword(ours, "correct horse")).toEqual({ ok: true, needsRehash: false });
  });

  it("a bare argon2 PHC string follows the one rule: within the bounds counted usable and checked, beyond them neither", async () => {
    const within = await argon2Hash("correct horse", { algorithm: 2, memoryCost: 65_536, timeCost: 3, parallelism: 4 });
    expect(djangoHashStatus(within)).toBe("usable");
    expect(await checkStoredPassword(within, "correct horse")).toEqual({ ok: true, needsRehash: false });
    for (const beyond of [
      within.replace("m=65536", "m=4194304"),
      within.replace("t=3", "t=100000000"),
      within.replace("p=4", "p=64"),
      HOSTILE.raw_argon2_4_GiB,
    ]) {
      expect(djangoHashStatus(beyond)).toBe("unsupported");
      expect(await checkStoredPassword(beyond, "correct horse")).toEqual({ ok: false, needsRehash: false });
    }
  });

  it("hashes stored at 19 MiB x 2 (this server's earlier setting) check with their own parameters", async () => {
    const earlier = await argon2Hash("correct horse", {
      algorithm: 2, // Algorithm.Argon2id: a const enum, which the tests' transpiler does not inline
      memoryCost: 19_456,
      timeCost: 2,
      parallelism: 1,
    });
    expect(earlier).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await checkStoredPassword(earlier, "correct horse")).toEqual({ ok: true, needsRehash: false });
    expect((await checkStoredPassword(earlier, "wrong horse")).ok).toBe(false);
  });
});

describe("properties", () => {
  const salt = fc.stringMatching(/^[A-Za-z0-9]{1,22}$/);

  it("PBKDF2 in Django's encoding checks the password it was made from and no other", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: "grapheme", maxLength: 40 }),
        fc.string({ unit: "grapheme", maxLength: 40 }),
        salt,
        fc.integer({ min: 1, max: 300 }),
        fc.constantFrom("sha256" as const, "sha1" as const),
        async (password, other, salt, iterations, digest) => {
          const size = digest === "sha256" ? 32 : 20;
          const b64 = pbkdf2Sync(
            Buffer.from(password, "utf8"),
            Buffer.from(salt, "utf8"),
            iterations,
            size,
            digest,
          ).toString("base64");
          const encoded = `pbkdf2_${digest}$${iterations}$${salt}$${b64}`;
          expect(parseDjangoHash(encoded)).toMatchObject({ algorithm: `pbkdf2_${digest}`, iterations, salt });
          expect(await verifyDjangoPassword(encoded, password)).toBe(true);
          if (other !== password) expect(await verifyDjangoPassword(encoded, other)).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("any text as a stored hash: parsing never throws, checking never throws and matches only a real hash", async () => {
    const pieces = fc.constantFrom(
      "pbkdf2_sha256",
      "pbkdf2_sha1",
      "argon2",
      "scrypt",
      "bcrypt",
      "bcrypt_sha256",
      "!",
      "$",
      "=",
      "12",
      "",
    );
    const encoded = fc.oneof(
      fc.string(),
      fc.array(fc.oneof(pieces, fc.string({ maxLength: 8 })), { maxLength: 7 }).map((parts) => parts.join("$")),
    );
    await fc.assert(
      fc.asyncProperty(encoded, fc.string({ maxLength: 20 }), async (stored, password) => {
        expect(() => parseDjangoHash(stored)).not.toThrow();
        expect(["usable", "unusable", "unsupported"]).toContain(djangoHashStatus(stored));
        // One rule: what is counted usable is what a login checks.
        expect(djangoHashStatus(stored) === "usable").toBe(parseDjangoHash(stored) !== null);
        const ok = await verifyDjangoPassword(stored, password);
        if (parseDjangoHash(stored) === null) expect(ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
