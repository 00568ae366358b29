import fc from "fast-check";
import { ensureBuilt, runNode } from "./support/build";
import { freshSqliteUrl } from "./support/databases";
import { ConfigError, loadConfig } from "../src/config/config";
import { parseDuration, parseRate } from "../src/config/duration";

// Settings: a bad value stops the server with one line naming the variable;
// the duration and rate parsers accept exactly their forms.

const UNITS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
const PERIODS = {
  s: 1,
  sec: 1,
  second: 1,
  m: 60,
  min: 60,
  minute: 60,
  h: 3600,
  hour: 3600,
  d: 86400,
  day: 86400,
} as const;
const TEN_YEARS = 10 * 365 * 86400;

describe("node dist/main.js with a bad setting", () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it.each([
    ["TOKEN_TTL", "abc"],
    ["PORT", "99999"],
    ["LOGIN_RATE", "5/fortnight"],
    ["REGISTER_RATE", "0/hour"],
    ["DATABASE_URL", "mysql://x"],
    ["ALLOW_REGISTRATION", "maybe"],
    ["WEB_CONCURRENCY", "0"],
    ["TOKEN_TTL", "90s\nPORT=1"],
  ])("%s=%j: exit 1 and one line naming it", async (name, value) => {
    const res = await runNode("dist/main.js", [], {
      env: { DATABASE_URL: freshSqliteUrl(), PORT: "0", [name]: value },
    });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe("");
    const lines = res.stderr.split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^Cannot start: ${name}: `));
  });
});

describe("loadConfig", () => {
  it("names every bad variable on a line of its own", () => {
    expect(() => loadConfig({ TOKEN_TTL: "x", PORT: "-1" })).toThrow(ConfigError);
    try {
      loadConfig({ TOKEN_TTL: "x", PORT: "-1" });
    } catch (e) {
      expect((e as Error).message.split("\n").map((l) => l.split(":")[0])).toEqual(["PORT", "TOKEN_TTL"]);
    }
  });

  it("has the contract's defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      HOST: "127.0.0.1",
      PORT: 4000,
      ALLOW_REGISTRATION: true,
      LOGIN_RATE: { points: 5, duration: 60 },
      WEB_CONCURRENCY: 1,
    });
    expect(c.REGISTER_RATE).toEqual({ points: 20, duration: 3600 });
    expect(c.TOKEN_TTL).toBeUndefined();
    expect(c.DATABASE_URL).toMatchObject({ provider: "sqlite" });
    expect(c.DATABASE_URL.url).toMatch(/\/data\/db\.sqlite3$/);
  });
});

describe("parseDuration", () => {
  it("reads every valid form up to ten years", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(UNITS) as (keyof typeof UNITS)[])),
        fc.integer({ min: 1, max: TEN_YEARS }),
        fc.constantFrom("", " ", "\t"),
        (unit, n, pad) => {
          const text = `${pad}${n}${unit}${pad}`;
          const seconds = n * UNITS[unit];
          if (seconds <= TEN_YEARS) expect(parseDuration(text)).toBe(seconds);
          else expect(() => parseDuration(text)).toThrow(/is longer than ten years$/);
        },
      ),
    );
    expect([parseDuration("90s"), parseDuration("30m"), parseDuration("12h"), parseDuration("30d")]).toEqual([
      90, 1800, 43200, 2592000,
    ]);
  });

  it("only ever returns a whole number of seconds or throws an Error with one clear line", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.stringMatching(/^-?[0-9]{0,12}[smhdy ]?$/)),
        (text) => {
          let result: number | undefined;
          try {
            result = parseDuration(text);
          } catch (e) {
            expect(e).toBeInstanceOf(Error);
            const message = (e as Error).message;
            expect(message).not.toContain("\n");
            expect(message).toMatch(/^".*" is (not a duration like 90s, 30m, 12h or 30d|longer than ten years)$/);
            return;
          }
          expect(Number.isInteger(result)).toBe(true);
          expect(result).toBeGreaterThan(0);
          expect(result).toBeLessThanOrEqual(TEN_YEARS);
        },
      ),
    );
  });

  it.each(["", "0s", "-5m", "1.5h", "10", "10w", "1e3s", "s", "1 s", "٣s"])("refuses %j", (text) => {
    expect(() => parseDuration(text)).toThrow(Error);
  });
});

describe("parseRate", () => {
  it("reads every valid form", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9_999_999 }),
        fc.constantFrom(...(Object.keys(PERIODS) as (keyof typeof PERIODS)[])),
        (points, period) => {
          expect(parseRate(`${points}/${period}`)).toEqual({ points, duration: PERIODS[period] });
        },
      ),
    );
  });

  it("only ever returns a rate or throws an Error with one clear line", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.stringMatching(/^-?[0-9]{0,8}\/?[a-z]{0,8}$/)),
        (text) => {
          let result;
          try {
            result = parseRate(text);
          } catch (e) {
            expect(e).toBeInstanceOf(Error);
            const message = (e as Error).message;
            expect(message).not.toContain("\n");
            expect(message).toMatch(/^".*" is not a rate like 5\/min, 100\/hour or 1000\/day$/);
            return;
          }
          expect(Number.isInteger(result.points)).toBe(true);
          expect(result.points).toBeGreaterThan(0);
          expect(Object.values(PERIODS)).toContain(result.duration);
        },
      ),
    );
  });

  it.each(["5/fortnight", "0/min", "5", "/min", "5/MIN", "5 / min", "-1/s", "1.5/s"])("refuses %j", (text) => {
    expect(() => parseRate(text)).toThrow(Error);
  });
});
