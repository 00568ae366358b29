import fc from "fast-check";
import { ensureBuilt, runNode } from "../support/build";
import { freshSqliteUrl } from "../support/databases";
import { ConfigError, loadConfig, parseMetrics, parseRedisTimeout } from "../../src/config/config";
import { DurationError, formatDuration, parseDuration, parseRate } from "../../src/config/duration";

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
    ["METRICS", "port:70000"],
    ["METRICS", "bearer"],
    ["MIGRATION_LOCK_TIMEOUT", "forever"],
    ["LOGIN_QUEUE_TIMEOUT", "0s"],
    ["LOGIN_SUCCESS_RATE", "60"],
    ["TOKEN_LIMIT_PER_USER", "0"],
    ["DIRECT_DATABASE_URL", "mysql://x"],
    ["DIRECT_DATABASE_URL", "file:./data/direct.sqlite3"],
    // DATABASE_URL is SQLite here: a direct URL has nothing to go beside.
    ["DIRECT_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/direct"],
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
    expect(c.DIRECT_DATABASE_URL).toBeUndefined();
    expect(c.MIGRATION_LOCK_TIMEOUT).toBe(60);
    expect(c.LOGIN_QUEUE_TIMEOUT).toBe(10);
    expect(c.LOGIN_SUCCESS_RATE).toEqual({ points: 60, duration: 60 });
    expect(c.TOKEN_LIMIT_PER_USER).toBe(100);
  });

  it("reads DIRECT_DATABASE_URL beside a PostgreSQL DATABASE_URL, echoing no password when it is refused", () => {
    const c = loadConfig({
      DATABASE_URL: "postgresql://app@pgbouncer:6432/app",
      DIRECT_DATABASE_URL: "postgresql://app@db:5432/app",
    });
    expect(c.DIRECT_DATABASE_URL).toMatchObject({ provider: "postgresql", url: "postgresql://app@db:5432/app" });
    expect(() =>
      loadConfig({
        DATABASE_URL: "postgresql://app@pgbouncer:6432/app",
        DIRECT_DATABASE_URL: "mysql://root:secret@db/app",
      }),
    ).toThrow(/^DIRECT_DATABASE_URL: scheme mysql: is neither/);
    try {
      loadConfig({
        DATABASE_URL: "postgresql://app@pgbouncer:6432/app",
        DIRECT_DATABASE_URL: "mysql://root:secret@db/app",
      });
    } catch (e) {
      expect((e as Error).message).not.toContain("secret");
    }
  });
});

describe("METRICS and METRICS_TOKEN", () => {
  it("reads off, bearer, port:PORT (loopback) and port:HOST:PORT", () => {
    expect(loadConfig({}).METRICS).toEqual({ mode: "off" });
    expect(["", "off", "OFF", "false", "0"].map(parseMetrics)).toEqual(Array(5).fill({ mode: "off" }));
    expect(parseMetrics("bearer")).toEqual({ mode: "bearer" });
    expect(parseMetrics(" port:9464 ")).toEqual({ mode: "port", host: "127.0.0.1", port: 9464 });
    expect(parseMetrics("port:0.0.0.0:9464")).toEqual({ mode: "port", host: "0.0.0.0", port: 9464 });
    expect(parseMetrics("port:metrics.internal:9464")).toEqual({ mode: "port", host: "metrics.internal", port: 9464 });
    expect(parseMetrics("port:[::1]:9464")).toEqual({ mode: "port", host: "::1", port: 9464 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), (port) => {
        expect(parseMetrics(`port:${port}`)).toEqual({ mode: "port", host: "127.0.0.1", port });
      }),
    );
  });

  it("only ever returns a setting or throws an Error with one clear line", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: "binary" }),
          fc.stringMatching(/^(port:)?(\[?[0-9a-z:.]{0,12}\]?:)?[0-9]{0,6}$/),
        ),
        (text) => {
          try {
            const setting = parseMetrics(text);
            expect(["off", "bearer", "port"]).toContain(setting.mode);
            if (setting.mode === "port") expect(setting.port).toBeLessThanOrEqual(65535);
          } catch (e) {
            expect(e).toBeInstanceOf(Error);
            expect((e as Error).message).not.toContain("\n");
            expect((e as Error).message).toMatch(/ is not off, bearer, port:PORT or port:HOST:PORT \(/);
          }
        },
      ),
    );
  });

  it.each(["on", "port", "port:", "port:-1", "port:65536", "port:[nope]:1", "port:a b:1", "9464", "bearer:x"])(
    "refuses METRICS=%j",
    (text) => {
      expect(() => loadConfig({ METRICS: text })).toThrow(/^METRICS: ".*" is not off, bearer, port:PORT/);
    },
  );

  it("refuses bearer without a secret, a secret too short or of other characters, never showing it", () => {
    expect(() => loadConfig({ METRICS: "bearer" })).toThrow(/^METRICS: bearer .* needs METRICS_TOKEN/);
    for (const secret of ["0123456789abcde", "0123456789abcdef 0123", "0123456789abcdef\u00e9", "x".repeat(257)]) {
      let message = "";
      try {
        loadConfig({ METRICS: "bearer", METRICS_TOKEN: secret });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/^METRICS_TOKEN: must be 16 to 256 characters/);
      expect(message).not.toContain(secret);
    }
    expect(loadConfig({ METRICS: "bearer", METRICS_TOKEN: "0123456789abcdef" }).METRICS_TOKEN).toBe("0123456789abcdef");
  });

  it("refuses a metrics port that is the public one", () => {
    expect(() => loadConfig({ METRICS: "port:4000" })).toThrow(
      "METRICS: port 4000 on 127.0.0.1 is the public port (HOST, PORT); /metrics needs a port of its own",
    );
    expect(loadConfig({ METRICS: "port:4000", PORT: "4001" }).METRICS).toEqual({
      mode: "port",
      host: "127.0.0.1",
      port: 4000,
    });
  });
});

describe("REDIS_TIMEOUT", () => {
  it("is 500 ms by default, and reads milliseconds or whole seconds from 10 ms to 60 s", () => {
    expect(loadConfig({}).REDIS_TIMEOUT).toBe(500);
    expect(loadConfig({ REDIS_TIMEOUT: "" }).REDIS_TIMEOUT).toBe(500);
    expect(loadConfig({ REDIS_TIMEOUT: " 200ms " }).REDIS_TIMEOUT).toBe(200);
    expect(loadConfig({ REDIS_TIMEOUT: "2s" }).REDIS_TIMEOUT).toBe(2000);
    expect([parseRedisTimeout("10ms"), parseRedisTimeout("60s"), parseRedisTimeout("60000ms")]).toEqual([
      10, 60_000, 60_000,
    ]);
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 60_000 }), (ms) => {
        expect(parseRedisTimeout(`${ms}ms`)).toBe(ms);
      }),
    );
  });

  it("only ever returns milliseconds from 10 to 60000 or throws an Error with one clear line", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^-?[0-9]{0,8}(\.[0-9])?(ms|s|m)?$/)), (text) => {
        try {
          const ms = parseRedisTimeout(text);
          expect(Number.isInteger(ms) && ms >= 10 && ms <= 60_000).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
          expect((e as Error).message).not.toContain("\n");
          expect((e as Error).message).toMatch(/ is not a time from 10ms to 60s \(like 500ms or 2s\)$/);
        }
      }),
    );
  });

  it.each(["500", "0ms", "9ms", "61s", "60001ms", "1.5s", "-1ms", "1m", "soon", "500 ms"])(
    "refuses REDIS_TIMEOUT=%j, naming it",
    (text) => {
      expect(() => loadConfig({ REDIS_TIMEOUT: text })).toThrow(/^REDIS_TIMEOUT: ".*" is not a time from 10ms to 60s/);
    },
  );
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
    expect(() => parseDuration(text)).toThrow(DurationError);
  });

  it("formatDuration writes any length in seconds back as the shortest text parseDuration reads", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: TEN_YEARS }), (seconds) => {
        const text = formatDuration(seconds);
        expect(parseDuration(text)).toBe(seconds);
        const [, n, unit] = /^(\d+)([smhd])$/.exec(text)!;
        // No larger unit would do: the number is not a whole multiple of the next one up.
        const sizes = Object.values(UNITS).sort((a, b) => a - b);
        const next = sizes[sizes.indexOf(UNITS[unit as keyof typeof UNITS]) + 1];
        if (next !== undefined) expect(seconds % next).not.toBe(0);
        expect(Number(n)).toBeGreaterThan(0);
      }),
    );
    expect([formatDuration(2592000), formatDuration(5400), formatDuration(3600), formatDuration(61)]).toEqual([
      "30d",
      "90m",
      "1h",
      "61s",
    ]);
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
