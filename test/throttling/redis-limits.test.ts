import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { freshSqliteUrl } from "../support/databases";
import { ObtainTokenDocument } from "../generated/graphql";
import { stopCleanly, startProcess, type ServerProcess } from "../support/processes";
import { runAt } from "../support/server";
import { describeSqlite, describeRedis, redisUrl } from "../support/providers";

// REDIS_URL moves the login counters to Redis: two processes on two
// different SQLite files share nothing but Redis, and still count together.
// scripts/test.mjs sets TEST_REDIS_URL when Redis answers.

// Real processes start slowly on a busy machine.
jest.setTimeout(180_000);

const RATE = 2;

(redisUrl ? describeSqlite : describeRedis)("login limits in Redis (REDIS_URL), two processes", () => {
  // Unique per run, so runs sharing one Redis never see each other's counters.
  const prefix = `dtg-test-${randomBytes(6).toString("hex")}:`;
  let a: ServerProcess;
  let b: ServerProcess;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(redisUrl!);
    // REDIS_TIMEOUT: these tests count, they do not time (redis-freeze.test.ts does).
    const env = {
      REDIS_URL: redisUrl!,
      REDIS_PREFIX: prefix,
      REDIS_TIMEOUT: "5s",
      LOGIN_RATE: `${RATE}/min`,
      MIGRATE_ON_START: "false",
    };
    [a, b] = await Promise.all([
      startProcess({ ...env, DATABASE_URL: freshSqliteUrl() }),
      startProcess({ ...env, DATABASE_URL: freshSqliteUrl() }),
    ]);
  });

  afterAll(async () => {
    await stopCleanly(a, b);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it("says where the limits live", () => {
    expect(a.output()).toContain("Login limits: counted in Redis");
    expect(b.output()).toContain("Login limits: counted in Redis");
  });

  it("counts failed logins through A and B toward one LOGIN_RATE", async () => {
    const wrong = { username: "mallory", password: "not the password" };
    expect((await runAt(a.url, ObtainTokenDocument, wrong)).body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect((await runAt(b.url, ObtainTokenDocument, wrong)).body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    for (const server of [a, b]) {
      const res = await runAt(server.url, ObtainTokenDocument, wrong);
      expect(res.status).toBe(429);
      expect(res.body.errors?.[0]?.extensions?.code).toBe("TOO_MANY_REQUESTS");
    }
    // The counters are Redis keys under this run's prefix: the checks (2 kept
    // per username and per address), the checks in progress (none now), and
    // LOGIN_SUCCESS_RATE's (none: no password was right).
    const counters = await redis.keys(`${prefix}*`);
    const points = await Promise.all(counters.map((k) => redis.get(k)));
    expect(Object.fromEntries(counters.map((k, i) => [k.slice(prefix.length), Number(points[i])]))).toEqual({
      "login-ip:127.0.0.1": RATE,
      "login-user:mallory": RATE,
      "login-ip-checking:127.0.0.1": 0,
      "login-user-checking:mallory": 0,
      "login-success:mallory 127.0.0.1": 0,
    });
  });
});
