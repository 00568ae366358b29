import { RateLimiterRes } from "rate-limiter-flexible";
import type { Config } from "../config/config";
import type { Rate } from "../config/duration";
import type { Executor } from "../db/database";
import { ThrottledError } from "../shared/errors";
import { DatabaseLimiter, sweepExpiredCounters } from "./database-store";
import type { Limiter } from "./limiter";
import { type HealthLog, type RedisLimiterOptions, redisStore } from "./redis-store";

export type { Limiter };

// Counters live where every process sees them: see createLimiterStore.
// `options` say what a limiter does while Redis does not answer (redis-store.ts).
export type LimiterFactory = (name: string, rate: Rate, options?: RedisLimiterOptions) => Limiter;

export interface LimiterStore {
  /** Where the counters live, for the start-up line. */
  kind: "redis" | "postgresql" | "sqlite";
  limiters: LimiterFactory;
  /**
   * Resolves once the store can count for every process (Redis answers),
   * or after `timeoutMs` with false: the server then starts anyway, and
   * until Redis answers refuses logins and sign-ups and counts USER_RATE on
   * its own process (redis-store.ts).
   */
  ready(timeoutMs?: number): Promise<boolean>;
  /** Where limits are counted at this moment, when that can change (Redis); describeLimits otherwise. */
  where?(): string;
  /** Closes the store's own connections. */
  close(): Promise<void>;
}

/** What a store reports for Prometheus (src/metrics/), when metrics are on. */
export interface LimiterStoreEvents {
  /** The store failed (Redis: a failed or lost connection, a command that failed or timed out). */
  storeError(): void;
  /** A point was taken or given back on this process's own counters (USER_RATE) because the store did not answer. */
  fallback(): void;
}

/** The store createLimiterStore picks for `config`. */
export function limiterStoreKind(config: Pick<Config, "DATABASE_URL" | "REDIS_URL">): LimiterStore["kind"] {
  return config.REDIS_URL ? "redis" : config.DATABASE_URL.provider;
}

/** For the start-up line: where `store` counts at this moment. */
export function describeStore(store: LimiterStore): string {
  return store.where?.() ?? describeLimits(store.kind);
}

/** For the start-up line. */
export function describeLimits(kind: LimiterStore["kind"]): string {
  return {
    redis: "counted in Redis (REDIS_URL), shared by every process using it",
    postgresql: "counted in PostgreSQL, shared by every process using this database",
    sqlite: "counted in the SQLite file, shared by every process using it",
  }[kind];
}

/**
 * Redis when REDIS_URL is set; otherwise the database itself (PostgreSQL or
 * the SQLite file), so every process of a deployment, forked by
 * WEB_CONCURRENCY or started on its own, counts together. The database's
 * counters go through the app's own connection (`db`), under its lock policy.
 */
export function createLimiterStore(
  config: Pick<Config, "DATABASE_URL" | "REDIS_URL" | "REDIS_PREFIX" | "REDIS_TIMEOUT">,
  db: Executor,
  events?: LimiterStoreEvents,
  log?: HealthLog,
): LimiterStore {
  if (config.REDIS_URL) {
    return redisStore({
      url: config.REDIS_URL,
      prefix: config.REDIS_PREFIX,
      timeoutMs: config.REDIS_TIMEOUT,
      events,
      log,
    });
  }
  return databaseStore(config.DATABASE_URL.provider, db);
}

function databaseStore(kind: "postgresql" | "sqlite", db: Executor): LimiterStore {
  const stopSweeping = sweepExpiredCounters(db);
  return {
    kind,
    limiters: (name, rate) => new DatabaseLimiter(db, name, rate),
    ready: () => Promise.resolve(true),
    async close() {
      stopSweeping();
    },
  };
}

/** One counter of a reservation: a limiter and the key counted in it. */
export interface Counter {
  limiter: Limiter;
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
  const outcome = await tryReserve(counters);
  if ("refused" in outcome) throw new ThrottledError(retryAfter(outcome.res));
  return outcome;
}

/** What tryReserve answers when a counter is spent: which one, and its state. */
export interface Refusal {
  /** The index in `counters` of the counter that refused. */
  refused: number;
  res: RateLimiterRes;
}

/**
 * reserve() that answers a refusal instead of throwing it, for a caller that
 * decides what a refusal means (LoginThrottle waits for checks in flight).
 * The refused increment is given back too, so a counter holds exactly the
 * points its holders keep, however many requests were refused or retry.
 */
export async function tryReserve(counters: Counter[]): Promise<Reservation | Refusal> {
  const taken: { counter: Counter; deadline: number }[] = [];
  let given = false;
  const giveBack = async () => {
    if (given) return;
    given = true;
    await refund(taken);
  };
  for (const [index, counter] of counters.entries()) {
    try {
      taken.push({ counter, deadline: deadline(await counter.limiter.consume(counter.key)) });
    } catch (e) {
      // rate-limiter-flexible rejects with a RateLimiterRes when the points are gone.
      const refused = e instanceof RateLimiterRes ? [{ counter, deadline: deadline(e) }] : [];
      await refund([...taken, ...refused]);
      given = true;
      if (e instanceof RateLimiterRes) return { refused: index, res: e };
      throw e;
    }
  }
  return { giveBack };
}

async function refund(taken: { counter: Counter; deadline: number }[]): Promise<void> {
  const now = Date.now();
  await Promise.allSettled(
    taken.filter((t) => t.deadline - now > REFUND_MARGIN_MS).map((t) => t.counter.limiter.reward(t.counter.key)),
  );
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
