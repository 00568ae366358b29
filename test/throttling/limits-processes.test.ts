import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { freshDatabaseUrl, testDatabase } from "../support/databases";
import { manage, startProcess, stopCleanly, workerPids, type ServerProcess } from "../support/processes";
import { describeRedis, redisUrl } from "../support/providers";
import { OBTAIN, burst, logins, post, registrations, tally } from "./burst";

// The same limits when the requests are spread over several processes: the
// built server (`node dist/main.js`) with WEB_CONCURRENCY=2 on the run's
// database (counters in its rate_limit table), and two such servers on two
// databases of their own sharing nothing but Redis (REDIS_URL; skipped
// without TEST_REDIS_URL, which scripts/test.mjs sets when Redis answers).
// Every request is on a connection of its own, so the workers share them.
//
// What each test allows, exactly:
// - 150 logins for one user, 149 wrong + 1 right, LOGIN_RATE=5/min: at most 5
//   wrong passwords checked (BAD_USER_INPUT), at most 1 key, 5 or 6 checks
//   in all, every other answer 429 with a Retry-After of 1 to 60 s; then the
//   right password again: 429 when 5 wrong ones were checked.
// - 50 sign-ups, REGISTER_RATE=20/hour (the default): exactly 20 accounts,
//   30 refused with a Retry-After of 1 to 3600 s.
// With Redis, the same numbers over both servers together (100 logins, half
// through each; 50 sign-ups, half through each).

const RATE = 5;
const PASSWORD = "a long enough passphrase 1";
jest.setTimeout(240_000);

async function createUser(databaseUrl: string, username: string): Promise<void> {
  const made = await manage(
    ["createsuperuser", "--username", username, "--email", `${username}@example.com`, "--no-input"],
    {
      DATABASE_URL: databaseUrl,
      SUPERUSER_PASSWORD: PASSWORD,
    },
  );
  expect(made.status).toBe(0);
}

/** Waits until both workers of `server` listen, so a burst meets two processes. */
async function bothWorkers(server: ServerProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (new Set(workerPids(server.output())).size < 2) {
    if (Date.now() > deadline) throw new Error(`two workers did not start:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The checks of a login burst with one right password, at index `rightAt`. */
function expectLoginBurst(answers: Awaited<ReturnType<typeof burst>>, rightAt: number) {
  const t = tally(answers, "obtainToken", 60);
  expect(t.other).toEqual([]);
  expect(t.refused).toBeLessThanOrEqual(RATE);
  expect(t.ok).toBe(answers[rightAt]!.status === 200 ? 1 : 0);
  expect(t.refused + t.ok).toBeGreaterThanOrEqual(RATE);
  expect(t.refused + t.ok).toBeLessThanOrEqual(RATE + 1);
  return t;
}

describe(`LOGIN_RATE and REGISTER_RATE with WEB_CONCURRENCY=2 (${testDatabase()})`, () => {
  let server: ServerProcess;

  beforeAll(async () => {
    const DATABASE_URL = await freshDatabaseUrl();
    await createUser(DATABASE_URL, "target");
    server = await startProcess({
      DATABASE_URL,
      WEB_CONCURRENCY: "2",
      LOGIN_RATE: `${RATE}/min`,
      MIGRATE_ON_START: "false",
      LOG_LEVEL: "info",
    });
    await bothWorkers(server);
  });
  afterAll(() => stopCleanly(server));

  it("checks at most 5 wrong passwords of 149, across both workers, and issues at most one key", async () => {
    const t = expectLoginBurst(await burst(server.url, logins("target", 150, { password: PASSWORD, at: 75 })), 75);
    const again = await post(server.url, { query: OBTAIN, variables: { username: "target", password: PASSWORD } });
    if (t.refused === RATE)
      expect(tally([again], "obtainToken", 60)).toEqual({ ok: 0, refused: 0, throttled: 1, other: [] });
  });

  it("creates exactly 20 accounts out of 50 parallel sign-ups", async () => {
    const answers = await burst(server.url, registrations("cluster", 50));
    expect(tally(answers, "register", 3600)).toEqual({ ok: 20, refused: 0, throttled: 30, other: [] });
  });
});

describeRedis(
  `LOGIN_RATE and REGISTER_RATE in Redis, two servers of 2 workers on two databases (${testDatabase()})`,
  () => {
    // Unique per run, so runs sharing one Redis never see each other's counters.
    const prefix = `dtg-security-${randomBytes(6).toString("hex")}:`;
    let a: ServerProcess;
    let b: ServerProcess;
    let redis: Redis;

    beforeAll(async () => {
      redis = new Redis(redisUrl!);
      const [dbA, dbB] = [await freshDatabaseUrl(), await freshDatabaseUrl()];
      await Promise.all([createUser(dbA, "target"), createUser(dbB, "target")]);
      const env = {
        REDIS_URL: redisUrl!,
        REDIS_PREFIX: prefix,
        // These tests count, they do not time: a machine loaded by a burst
        // must not make a healthy Redis late (test/throttling/redis-freeze.test.ts
        // is the one about REDIS_TIMEOUT).
        REDIS_TIMEOUT: "5s",
        LOGIN_RATE: `${RATE}/min`,
        MIGRATE_ON_START: "false",
        WEB_CONCURRENCY: "2",
        LOG_LEVEL: "info",
      };
      [a, b] = await Promise.all([
        startProcess({ ...env, DATABASE_URL: dbA }),
        startProcess({ ...env, DATABASE_URL: dbB }),
      ]);
      await Promise.all([bothWorkers(a), bothWorkers(b)]);
    });

    afterAll(async () => {
      await stopCleanly(a, b);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    });

    it("checks at most 5 wrong passwords of 99 sent through both servers, and issues at most one key", async () => {
      expect(a.output()).toContain("counted in Redis");
      expectLoginBurst(await burst([a.url, b.url], logins("target", 100, { password: PASSWORD, at: 51 })), 51);
    });

    it("creates exactly 20 accounts out of 50 parallel sign-ups through both servers", async () => {
      const answers = await burst([a.url, b.url], registrations("redis", 50));
      expect(tally(answers, "register", 3600)).toEqual({ ok: 20, refused: 0, throttled: 30, other: [] });
    });
  },
);
