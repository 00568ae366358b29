import { RateLimiterRes } from "rate-limiter-flexible";
import type { Rate } from "../config/duration";
import type { Executor } from "../db/database";
import type { Limiter } from "./limiter";

// Counters in the database itself (PostgreSQL, or the SQLite file), on the
// app's own connection: on SQLite they follow the process's one lock policy
// (src/db/lock-policy.ts: never a wait on the event loop, a bound, then 503)
// instead of a second connection with a blocking busy timeout. Fixed windows,
// as rate-limiter-flexible counts them, in the `rate_limit` table of its
// layout (model RateLimit): one atomic upsert per point, so however many
// requests race, in however many processes, the count is exact.

/** Expired counters are only overwritten by their own key: the rest is swept now and then. */
const SWEEP_EVERY_MS = 300_000;

export class DatabaseLimiter implements Limiter {
  readonly points: number;
  private readonly durationMs: number;

  constructor(
    private readonly db: Executor,
    private readonly prefix: string,
    rate: Rate,
  ) {
    this.points = rate.points;
    this.durationMs = rate.duration * 1000;
  }

  private key(key: string): string {
    return `${this.prefix}:${key}`;
  }

  /** Adds `points` (negative: gives them back) in the current window, or starts a new one; the counter after it. */
  private async add(key: string, points: number): Promise<{ points: number; expire: number; fresh: boolean }> {
    const now = Date.now();
    const expire = now + this.durationMs;
    const row = await this.db
      .insertInto("rate_limit")
      .values({ key: this.key(key), points, expire })
      .onConflict((oc) =>
        oc.column("key").doUpdateSet((eb) => ({
          points: eb
            .case()
            .when("rate_limit.expire", "<=", now)
            .then(eb.ref("excluded.points"))
            .else(eb("rate_limit.points", "+", eb.ref("excluded.points")))
            .end(),
          expire: eb
            .case()
            .when("rate_limit.expire", "<=", now)
            .then(eb.ref("excluded.expire"))
            .else(eb.ref("rate_limit.expire"))
            .end(),
        })),
      )
      .returning(["points", "expire"])
      .executeTakeFirstOrThrow();
    const until = Number(row.expire);
    return { points: row.points, expire: until, fresh: until === expire };
  }

  private result(points: number, expire: number, fresh: boolean): RateLimiterRes {
    // Never more than a window: a clock step back must not lock a key out for longer.
    const msBeforeNext = Math.min(Math.max(0, expire - Date.now()), this.durationMs);
    return new RateLimiterRes(Math.max(0, this.points - points), msBeforeNext, points, fresh);
  }

  /** Takes `points`; rejects with a RateLimiterRes when the window's points are spent, as rate-limiter-flexible does. */
  async consume(key: string, points = 1): Promise<RateLimiterRes> {
    const counter = await this.add(key, points);
    const res = this.result(counter.points, counter.expire, counter.fresh);
    // rate-limiter-flexible's contract, which reserve() and the throttles read: a refusal rejects with the result.
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- see above
    if (counter.points > this.points) throw res;
    return res;
  }

  async reward(key: string, points = 1): Promise<RateLimiterRes> {
    const counter = await this.add(key, -points);
    return this.result(counter.points, counter.expire, counter.fresh);
  }

  async get(key: string): Promise<RateLimiterRes | null> {
    const row = await this.db
      .selectFrom("rate_limit")
      .select(["points", "expire"])
      .where("key", "=", this.key(key))
      .executeTakeFirst();
    if (!row || row.expire === null || Number(row.expire) <= Date.now()) return null;
    return this.result(row.points, Number(row.expire), false);
  }

  async delete(key: string): Promise<boolean> {
    const result = await this.db.deleteFrom("rate_limit").where("key", "=", this.key(key)).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

/** Deletes counters whose window ended over an hour ago, every few minutes, until stopped. */
export function sweepExpiredCounters(db: Executor): () => void {
  const timer = setInterval(() => {
    db.deleteFrom("rate_limit")
      .where("expire", "<", Date.now() - 3_600_000)
      .execute()
      // A busy or closed database: the next sweep catches up.
      .catch(() => undefined);
  }, SWEEP_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
