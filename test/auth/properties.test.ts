import "reflect-metadata";
import fc from "fast-check";
import { ZodError } from "zod";
import { parseAuthorizationHeader } from "../../src/auth/authorization-header";
import { studentSchemas } from "../../src/students/student.service";
import { BadInputError, MESSAGES, UnauthenticatedError } from "../../src/shared/errors";
import { patchFields, validate } from "../../src/shared/validation";
import { passwordProblems } from "../../src/users/password-rules";
import { userSchemas } from "../../src/users/user.service";

// No input makes the header parser or the input rules throw anything but the
// contract's errors.

const HEADER_MESSAGES: string[] = [MESSAGES.noCredentials, MESSAGES.spaces, MESSAGES.invalidCharacters];

/** Header values as Node hands them over: one char per byte (latin1). */
const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const headerLike = fc.oneof(
  latin1,
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc
    .tuple(
      fc.constantFrom("Token", "token", "Bearer", "BEARER", "Basic", ""),
      fc.constantFrom(" ", "  ", "\t", "\r\n", "\v"),
      fc.oneof(fc.stringMatching(/^[0-9a-f]{40}$/), latin1),
      fc.oneof(fc.constant(""), latin1),
    )
    .map(([k, sep, key, rest]) => `${k}${sep}${key}${rest}`),
);

describe("parseAuthorizationHeader", () => {
  it("returns null or a printable-ASCII key, or throws UnauthenticatedError with one of DRF's messages", () => {
    fc.assert(
      fc.property(fc.option(headerLike, { nil: undefined }), (header) => {
        let result: string | null;
        try {
          result = parseAuthorizationHeader(header);
        } catch (e) {
          expect(e).toBeInstanceOf(UnauthenticatedError);
          expect(HEADER_MESSAGES).toContain((e as Error).message);
          expect((e as UnauthenticatedError).extensions.code).toBe("UNAUTHENTICATED");
          return;
        }
        if (result !== null) {
          expect(result).toMatch(/^[\x21-\x7e]+$/);
          expect(header!.toLowerCase()).toMatch(/^[ \t\n\v\f\r]*(token|bearer)[ \t\n\v\f\r]/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

/** Anything JSON or GraphQL variables could carry, and more. */
const anyValue = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.string({ unit: "grapheme", maxLength: 300 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(null, undefined, "", " ", "\u0000", 2 ** 31, -1, Number.NaN, Infinity),
);
const objectOf = (keys: string[]) =>
  fc.oneof(fc.record(Object.fromEntries(keys.map((k) => [k, anyValue])), { requiredKeys: [] }), anyValue);

function expectValidOrBadInput(run: () => unknown) {
  try {
    run();
  } catch (e) {
    if (!(e instanceof BadInputError)) throw e;
    const fields = e.extensions.fields as Record<string, string[]>;
    expect(Object.keys(fields).length).toBeGreaterThan(0);
    for (const messages of Object.values(fields)) {
      expect(messages.length).toBeGreaterThan(0);
      for (const m of messages) expect(typeof m).toBe("string");
    }
    expect(e).not.toBeInstanceOf(ZodError);
  }
}

describe("input validation", () => {
  const cases = [
    ["student input", studentSchemas.input, ["name", "roll", "city"]],
    ["student list", studentSchemas.list, ["limit", "offset", "search", "orderBy"]],
    ["new user", userSchemas.newUser, ["username", "email", "password", "isStaff"]],
    ["user profile", userSchemas.profile, ["username", "email"]],
    ["user list", userSchemas.list, ["limit", "offset", "search"]],
  ] as const;

  it.each(cases)("%s: valid data or BadInputError with fields, nothing else", (_name, schema, keys) => {
    fc.assert(
      fc.property(objectOf([...keys]), (input) => expectValidOrBadInput(() => validate(schema, input))),
      { numRuns: 500 },
    );
  });

  it("patches (student and user): explicit nulls and bad values are field errors", () => {
    const patches = [
      [studentSchemas.patch, ["name", "roll", "city"]],
      [userSchemas.patch, ["username", "email", "password", "isStaff", "isActive"]],
    ] as const;
    for (const [schema, keys] of patches) {
      const record = fc.record(Object.fromEntries(keys.map((k) => [k, anyValue])), { requiredKeys: [] });
      fc.assert(
        fc.property(record, (input) => expectValidOrBadInput(() => validate(schema, patchFields(input)))),
        { numRuns: 500 },
      );
    }
  });

  it("valid data keeps the rules: names are trimmed, 1..100 characters; rolls 0..2^31-1", () => {
    const text = fc.string({ unit: "grapheme", maxLength: 120 });
    const plausible = fc.record({ name: text, roll: fc.integer(), city: text });
    fc.assert(
      fc.property(fc.oneof(objectOf(["name", "roll", "city"]), plausible), (input) => {
        let data;
        try {
          data = validate(studentSchemas.input, input);
        } catch {
          return;
        }
        for (const text of [data.name, data.city]) {
          expect(text).toBe(text.trim());
          expect([...text].length).toBeGreaterThanOrEqual(1);
          expect([...text].length).toBeLessThanOrEqual(100);
        }
        expect(Number.isInteger(data.roll) && data.roll >= 0 && data.roll <= 2 ** 31 - 1).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("password rules answer a list of messages for any password and user", () => {
    const text = fc.string({ unit: "grapheme", maxLength: 60 });
    fc.assert(
      fc.property(text, fc.record({ username: text, email: text }, { requiredKeys: [] }), (password, user) => {
        const problems = passwordProblems(password, user);
        expect(Array.isArray(problems)).toBe(true);
        for (const p of problems) expect(typeof p).toBe("string");
      }),
      { numRuns: 500 },
    );
  });
});
