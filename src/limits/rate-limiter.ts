import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  RateLimiterSQLite,
  type RateLimiterAbstract,
} from "rate-limiter-flexible";
import type { Config } from "../config/config";
import type { Rate } from "../config/duration";
import { ThrottledError } from "../shared/errors";

// Counters live where every process sees them: see createLimiterStore.
export type LimiterFactory = (name: string, rate: Rate) => RateLimiterAbstract;

export interface LimiterStore {
  /** Where the counters live, for the start-up line. */
  kind: "redis" | "postgresql" | "sqlite";
  limiters: LimiterFactory;
  /**
   * Resolves once the store can count for every process (Redis connected),
   * or after `timeoutMs` with false: the server then starts anyway and counts
   * on its own process until Redis answers.
   */
  ready(timeoutMs?: number): Promise<boolean>;
  /** Closes the store's own connections. */
  close(): Promise<void>;
}

/** The store createLimiterStore picks for `config`. */
export function limiterStoreKind(config: Pick<Config, "DATABASE_URL" | "REDIS_URL">): LimiterStore["kind"] {
  return config.REDIS_URL ? "redis" : config.DATABASE_URL.provider;
}

/** For the start-up line. */
export function describeLimits(kind: LimiterStore["kind"]): string {
  return {
    redis: "counted in Redis (REDIS_URL), shared by every process using it",
    postgresql: "counted in PostgreSQL, shared by every process using this database",
    sqlite: "counted in the SQLite file, shared by every process using it",
  }[kind];
}

/** The table of the committed migration `rate_limit` (model RateLimit). */
const TABLE = "rate_limit";

/**
 * Redis when REDIS_URL is set; otherwise the database itself (PostgreSQL or
 * the SQLite file), so every process of a deployment, forked by
 * WEB_CONCURRENCY or started on its own, counts together. Each store has its
 * own small connection, apart from Prisma's.
 */
export function createLimiterStore(config: Pick<Config, "DATABASE_URL" | "REDIS_URL" | "REDIS_PREFIX">): LimiterStore {
  if (config.REDIS_URL) return redisStore(config.REDIS_URL, config.REDIS_PREFIX);
  const database = config.DATABASE_URL;
  if (database.provider === "postgresql") return postgresStore(database.url);
  return sqliteStore(database.file);
}

function redisStore(url: string, prefix: string): LimiterStore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- ioredis is loaded only when REDIS_URL is set
  const { Redis } = require("ioredis") as typeof import("ioredis");
  // While Redis is down or not yet connected, a login does not wait for it:
  // it is counted on this process's own counters (insuranceLimiter) instead
  // of failing, and the client keeps reconnecting in the background.
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  client.on("error", () => undefined); // reported through the failing commands
  return {
    kind: "redis",
    limiters: (name, rate) =>
      new RateLimiterRedis({
        storeClient: client,
        keyPrefix: `${prefix}${name}`,
        points: rate.points,
        duration: rate.duration,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, points: rate.points, duration: rate.duration }),
      }),
    // Serving before the first connection would count the first logins on
    // this process alone, so the server waits for it (a while) before listening.
    ready: (timeoutMs = 5000) =>
      client.status === "ready"
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve) => {
            const done = (ok: boolean) => {
              clearTimeout(timer);
              client.off("ready", onReady);
              resolve(ok);
            };
            const onReady = () => done(true);
            const timer = setTimeout(() => done(false), timeoutMs);
            client.once("ready", onReady);
          }),
    async close() {
      if (client.status === "ready") await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}

function postgresStore(url: string): LimiterStore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- pg is loaded only for a PostgreSQL DATABASE_URL
  const { Pool } = require("pg") as typeof import("pg");
  const pool = new Pool({ connectionString: url, max: 2, idleTimeoutMillis: 10_000 });
  pool.on("error", () => undefined); // an idle connection dropped: the pool replaces it
  return {
    kind: "postgresql",
    limiters: (name, rate) =>
      new RateLimiterPostgres({
        storeClient: pool,
        storeType: "pool",
        tableName: TABLE,
        tableCreated: true,
        keyPrefix: name,
        points: rate.points,
        duration: rate.duration,
      }),
    ready: () => Promise.resolve(true),
    close: () => pool.end(),
  };
}

function sqliteStore(file: string): LimiterStore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the native addon is loaded only for a SQLite DATABASE_URL
  const Sqlite = require("better-sqlite3") as typeof import("better-sqlite3");
  // Opened on first use, so a missing file fails a login (readyz reports
  // it), not the start; the same busy timeout as the app's connection.
  let db: import("better-sqlite3").Database | undefined;
  const open = () => (db ??= new Sqlite(file, { timeout: 5000 }));
  // The two calls RateLimiterSQLite makes on a better-sqlite3 handle.
  const lazy = {
    prepare: (sql: string) => open().prepare(sql),
    transaction: <F extends (...args: never[]) => unknown>(fn: F) => open().transaction(fn),
  };
  // Expired counters are only overwritten by their own key: sweep the rest
  // now and then (the limiter's own sweep could outlive close()).
  const sweep = setInterval(() => {
    try {
      db?.prepare(`DELETE FROM ${TABLE} WHERE expire < ?`).run(Date.now() - 3_600_000);
    } catch {
      // busy or closed: the next sweep catches up
    }
  }, 300_000);
  sweep.unref();
  return {
    kind: "sqlite",
    limiters: (name, rate) =>
      new RateLimiterSQLite({
        storeClient: lazy,
        storeType: "better-sqlite3",
        tableName: TABLE,
        tableCreated: true,
        clearExpiredByTimeout: false,
        keyPrefix: name,
        points: rate.points,
        duration: rate.duration,
      }),
    ready: () => Promise.resolve(true),
    async close() {
      clearInterval(sweep);
      db?.close();
    },
  };
}

/** One counter of a reservation: a limiter and the key counted in it. */
export interface Counter {
  limiter: RateLimiterAbstract;
  key: string;
}

/** Points taken by reserve(); give them back when the attempt should not count. */
export interface Reservation {
  giveBack(): Promise<void>;
}

/**
 * A point given back this close to the end of its window could land in the
 * next window, where it would be an extra point instead of a refund (the
 * stores start a new window at -1). It is kept instead: refusing a little
 * more is safe, allowing more is not.
 */
const REFUND_MARGIN_MS = 1000;

/**
 * Takes one point from every counter, all or none: each `consume` is one
 * atomic increment in the store (a Lua script in Redis, an upsert in
 * PostgreSQL or SQLite), so however many requests race, in however many
 * processes, at most `points` of them hold a point of a counter in one
 * window. The counters are taken in order, the next only once the previous
 * one granted its point; when one refuses, the points already taken are given
 * back and TOO_MANY_REQUESTS is thrown with its wait. (In order rather than
 * at once: two requests racing for the last point of two counters could
 * each win one and lose the other, and both be refused.) A store failure is
 * thrown as it is: with the counters unknown, nothing proceeds.
 */
export async function reserve(counters: Counter[]): Promise<Reservation> {
  const taken: { counter: Counter; deadline: number }[] = [];
  let given = false;
  const giveBack = async () => {
    if (given) return;
    given = true;
    const now = Date.now();
    await Promise.allSettled(
      taken.filter((t) => t.deadline - now > REFUND_MARGIN_MS).map((t) => t.counter.limiter.reward(t.counter.key)),
    );
  };
  for (const counter of counters) {
    try {
      taken.push({ counter, deadline: deadline(await counter.limiter.consume(counter.key)) });
    } catch (e) {
      await giveBack();
      // rate-limiter-flexible rejects with a RateLimiterRes when the points are gone.
      if (e instanceof RateLimiterRes) throw new ThrottledError(retryAfter(e));
      throw e;
    }
  }
  return { giveBack };
}

/** When the window of the point `res` reports ends (ms since the epoch). */
function deadline(res: RateLimiterRes): number {
  // msBeforeNext is -1 for a counter without expiry (none here): treat as open.
  return res.msBeforeNext < 0 ? Number.POSITIVE_INFINITY : Date.now() + res.msBeforeNext;
}

/** Seconds until `res` frees a point, at least 1. */
export function retryAfter(res: RateLimiterRes | null): number {
  return Math.max(1, Math.ceil((res?.msBeforeNext ?? 1000) / 1000));
}

export { RateLimiterRes };
