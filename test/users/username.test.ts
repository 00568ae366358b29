import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { expectError } from "../support/expect";
import { CorrectnessLoginDocument, CorrectnessRegisterDocument } from "../generated/graphql";
import { fieldErrors } from "../../src/shared/validation";
import { normalizeUsername, USERNAME_MESSAGE, usernameField } from "../../src/users/username";
import { PASSWORD, startServer, type TestServer } from "../support/server";

// Django's username rule, compared with Django's own definition run by
// Python (the DRF anchor's language): str.strip(), NFKC, 1..150 characters,
// each matching `[\w.@+-]` as Python's re sees it. The strings mix the
// characters that make one name look like another: marks, joiners,
// variation selectors, bidi controls, confusable letters, compatibility
// forms that NFKC folds, and Python/JavaScript whitespace differences.
// One rule goes beyond Django's: no Default_Ignorable_Code_Point, before or
// after NFKC (Django lets in the Hangul fillers, which are letters that
// render as nothing: "admin\u3164" looks like "admin"). The reference gets
// that set from Unicode's DerivedCoreProperties.txt, written out below, not
// from JavaScript's regex.

const BLANK = "This field may not be blank.";
const TOO_LONG = "Ensure this field has no more than 150 characters.";

const IGNORABLE_TABLE = String.raw`
import json
# Default_Ignorable_Code_Point, DerivedCoreProperties.txt (Unicode 15.1).
IGNORABLE = [(0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF)]
`;

// Django's UnicodeUsernameValidator and max_length, after DRF's strip and
// AbstractBaseUser.normalize_username, and no Default_Ignorable code point.
const REFERENCE = String.raw`
import json, re, sys, unicodedata
${IGNORABLE_TABLE}
def ignorable(text):
    return any(lo <= ord(c) <= hi for c in text for lo, hi in IGNORABLE)
out = []
for s in json.load(sys.stdin):
    if ignorable(s.strip()):
        out.append(["INVALID"]); continue
    n = unicodedata.normalize("NFKC", s.strip())
    if n == "":
        out.append(["BLANK"]); continue
    errors = []
    if len(n) > 150: errors.append("TOO_LONG")
    if not re.match(r"^[\w.@+-]+\Z", n) or ignorable(n): errors.append("INVALID")
    out.append(errors)
json.dump(out, sys.stdout)
`;

const MESSAGES: Record<string, string> = { BLANK, TOO_LONG, INVALID: USERNAME_MESSAGE };

function reference(samples: string[]): string[][] {
  const run = spawnSync("python3", ["-c", REFERENCE], {
    input: JSON.stringify(samples),
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.error?.message ?? run.stderr}`);
  return (JSON.parse(run.stdout) as string[][]).map((codes) => codes.map((c) => MESSAGES[c]!));
}

function ours(username: string): string[] {
  const result = usernameField.safeParse(username);
  return result.success ? [] : (fieldErrors(result.error)["non_field_errors"] ?? []);
}

const chars = (...codes: number[]) => codes.map((c) => String.fromCodePoint(c));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const PLAIN = [..."adminAZz09@.+-_"];
const MARKS = chars(...range(0x300, 0x36f), 0x0483, 0x0903, 0x20dd, 0x1ab0); // Mn, Mc, Me
const INVISIBLE = chars(
  0x034f, // combining grapheme joiner
  0x200b,
  0x200c,
  0x200d, // zero width space, non-joiner, joiner
  0x2060,
  0xfeff,
  0x00ad, // word joiner, BOM, soft hyphen
  ...range(0xfe00, 0xfe0f),
  ...range(0x180b, 0x180f), // variation selectors (U+180F from Unicode 14)
  0x200e,
  0x200f,
  0x061c,
  ...range(0x202a, 0x202e),
  ...range(0x2066, 0x2069), // bidi controls
);
/** Default_Ignorable code points that Python's isalnum() takes for letters, and others of that property. */
const FILLERS = chars(0x115f, 0x1160, 0x3164, 0xffa0); // Hangul choseong and jungseong fillers, Hangul filler, halfwidth
const IGNORABLE = chars(
  0x17b4,
  0x17b5,
  0x2064,
  0x2065,
  0x206f,
  0xfff0,
  0xfff8,
  0x1bca0,
  0x1d173,
  0xe0001,
  0xe0041,
  0xe0100,
  0xe0fff,
);
const CONFUSABLE = chars(
  0x0430,
  0x0435,
  0x043e,
  0x0456,
  0x0391,
  0x03bf, // Cyrillic а е о і, Greek Α ο
  0xff41,
  0xff21,
  0xff10,
  0x1d5ba,
  0xfb01,
  0x2160,
  0x216b,
  0x2167, // fullwidth, math, ligature, Roman numerals (Nl)
  0x00b2,
  0x00bd,
  0x2460,
  0x0661,
  0x0966,
  0x3007,
  0x01c5,
  0x02b0, // ², ½, ①, Arabic-Indic 1, Devanagari 0, 〇, ǅ (Lt), ʰ (Lm)
  0x00e9,
  0x0065,
  0x212b,
  0x2126,
  0x017f,
  0x1e9e, // é, e, Å (Kelvin-style compatibility), Ω, long s, ẞ
);
const OTHER = chars(
  0x20,
  0x09,
  0x0a,
  0x1c,
  0x85,
  0xa0,
  0x3000,
  0x2028,
  0x21,
  0x2f,
  0x2044,
  0x1f600,
  0x2764,
  0x00a9,
  0x5f,
  0x2d,
);

const piece = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PLAIN) },
  { weight: 2, arbitrary: fc.constantFrom(...MARKS) },
  { weight: 2, arbitrary: fc.constantFrom(...INVISIBLE) },
  { weight: 2, arbitrary: fc.constantFrom(...FILLERS, ...IGNORABLE) },
  { weight: 3, arbitrary: fc.constantFrom(...CONFUSABLE) },
  { weight: 1, arbitrary: fc.constantFrom(...OTHER) },
);
const username = fc.oneof(
  fc.array(piece, { minLength: 0, maxLength: 12 }).map((p) => p.join("")),
  // Around the length limit, where NFKC's expansions (Ⅻ -> XII, ½ -> 1⁄2) count.
  fc
    .tuple(fc.integer({ min: 140, max: 152 }), fc.array(piece, { maxLength: 4 }))
    .map(([n, p]) => "a".repeat(n) + p.join("")),
);

it("agrees with Django's rule, as Python runs it, on generated usernames", () => {
  const samples = fc.sample(username, { numRuns: 3000, seed: 20261130 });
  samples.push(
    "admin\u034f",
    "admin\ufe0f",
    "admin\u180b",
    "admin\u200d",
    "ad\ufe00min",
    "\u0301\u0301",
    "Ⅻ",
    "admin\ufeff",
    ...FILLERS.map((f) => `admin${f}`),
    ...FILLERS,
    "\u3164".repeat(151),
  );
  const expected = reference(samples);
  const mismatches = samples
    .map((s, i) => ({
      s: [...s].map((c) => c.codePointAt(0)!.toString(16)).join(" "),
      expected: expected[i],
      got: ours(s),
    }))
    .filter((m) => JSON.stringify(m.expected) !== JSON.stringify(m.got));
  expect(mismatches.slice(0, 10)).toEqual([]);
});

it("refuses every Default_Ignorable code point, as Unicode's table lists them, before or after a letter", () => {
  const run = spawnSync(
    "python3",
    ["-c", `${IGNORABLE_TABLE}\nprint(json.dumps([c for lo, hi in IGNORABLE for c in range(lo, hi + 1)]))`],
    {
      encoding: "utf8",
    },
  );
  const table = JSON.parse(run.stdout) as number[];
  const property: number[] = [];
  for (let c = 0; c <= 0x10ffff; c++)
    if (/\p{Default_Ignorable_Code_Point}/u.test(String.fromCodePoint(c))) property.push(c);
  expect(property).toEqual(table);
  const accepted = table
    .flatMap((c) => [String.fromCodePoint(c), `a${String.fromCodePoint(c)}`, `${String.fromCodePoint(c)}a`])
    .filter((name) => ours(name).length === 0);
  expect(accepted).toEqual([]);
});

it("holds as properties: an accepted name is stable under the rule and never keeps an invisible character", () => {
  fc.assert(
    fc.property(username, (name) => {
      const result = usernameField.safeParse(name);
      if (!result.success) return;
      expect(result.data).toBe(normalizeUsername(name));
      expect(usernameField.parse(result.data)).toBe(result.data);
      for (const c of [...MARKS, ...INVISIBLE]) expect(result.data.includes(c)).toBe(false);
      expect(result.data).not.toMatch(/\p{Default_Ignorable_Code_Point}/u);
    }),
    { numRuns: 500 },
  );
});

describe("through the server", () => {
  let server: TestServer;
  beforeAll(async () => {
    // Room for every sign-up and login below from one address.
    server = await startServer({ LOGIN_RATE: "1000/min", REGISTER_RATE: "1000/hour" });
    await server.user("admin");
  });
  afterAll(() => server.close());

  const register = (name: string) =>
    server.run(CorrectnessRegisterDocument, {
      input: { username: name, email: "", password: "An unguessable passphrase 42" },
    });

  it.each([
    ["U+034F", "admin\u034f"],
    ["U+FE0F", "admin\ufe0f"],
    ["U+180B", "admin\u180b"],
    ["U+200D", "admin\u200d"],
    ["U+FE00 inside", "ad\ufe00min"],
    ["two combining accents alone", "\u0301\u0300"],
    ["a bidi override", "\u202eadmin"],
    ["U+FEFF at the end (Python does not strip it)", "admin\ufeff"],
  ])("refuses a look-alike of another user: %s", async (_what, name) => {
    expectError(await register(name), { code: "BAD_USER_INPUT", fields: { username: [USERNAME_MESSAGE] } });
  });

  it.each([
    ["U+115F", "\u115f"],
    ["U+1160", "\u1160"],
    ["U+3164", "\u3164"],
    ["U+FFA0", "\uffa0"],
  ])(
    "refuses the Hangul filler %s, alone or after a name, at sign-up; logging in with it finds no one",
    async (_what, filler) => {
      const password = "An unguessable passphrase 42";
      for (const name of [filler, `admin${filler}`, `${filler}admin`, `ad${filler}min`]) {
        expectError(await register(name), { code: "BAD_USER_INPUT", fields: { username: [USERNAME_MESSAGE] } });
        // Nothing was created under this name or its NFKC form, so its login is the usual failure.
        expectError(await server.run(CorrectnessLoginDocument, { username: name, password }), {
          code: "BAD_USER_INPUT",
          message: "Unable to log in with provided credentials.",
        });
      }
      // admin's own password does not open admin's account through a look-alike either.
      expectError(await server.run(CorrectnessLoginDocument, { username: `admin${filler}`, password: PASSWORD }), {
        code: "BAD_USER_INPUT",
        message: "Unable to log in with provided credentials.",
      });
      expect(
        (await server.run(CorrectnessLoginDocument, { username: "admin", password: PASSWORD })).body.errors,
      ).toBeUndefined();
    },
  );

  it("folds compatibility forms with NFKC: fullwidth ａｄｍｉｎ is admin, taken", async () => {
    expectError(await register("ａｄｍｉｎ"), {
      code: "BAD_USER_INPUT",
      fields: { username: ["A user with that username already exists."] },
    });
  });

  it("accepts letters and digits of any script, as Python's isalnum() does", async () => {
    for (const name of ["José", "Ⅻ", "ǅemal", "ʰi", "١٢٣", "〇x"]) {
      const res = await register(name);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.register.user.username).toBe(name.normalize("NFKC"));
    }
  });
});
