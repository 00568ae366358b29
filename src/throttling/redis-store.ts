import {
  RLWrapperTimeouts,
  RateLimiterCompatibleAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from "rate-limiter-flexible";
import type { Redis } from "ioredis";
import type { Rate } from "../config/duration";
import { MESSAGES, UnavailableError } from "../shared/errors";

// The rate counters in Redis (REDIS_URL), and what happens when Redis stops
// answering: down (connection refused or lost) or frozen (the connection
// stays open and nothing comes back, as with a paused process or a network
// that drops packets). A request waits REDIS_TIMEOUT at most for each
// command (withinTimeout, below). The first command or probe that misses it
// marks Redis as not answering; from then on no request waits on Redis at
// all, and a probe each second finds it again. Meanwhile:
//
// - limiters that "refuse" (LOGIN_RATE, REGISTER_RATE) fail closed: the
//   request is refused with 503 and Retry-After. Counting on each process
//   instead would multiply the limit by the number of processes, and these
//   are the limits that guard passwords.
// - limiters that "count-locally" (USER_RATE) count on this process's own
//   counters, so signed-in requests keep being served.
//
// A command that timed out may still run once Redis resumes (it was already
// written to the socket): a point is then counted that the client was never
// served for. That errs on the side of refusing.

/** What a limiter does while Redis does not answer. */
export type WhenUnavailable = "refuse" | "count-locally";

export interface RedisLimiterOptions {
  whenUnavailable?: WhenUnavailable;
}

/** Where the store says Redis was lost and found again: one line each time. */
export interface HealthLog {
  warn(msg: string): void;
  info(msg: string): void;
}

/** Metrics' view of the store (LimiterStoreEvents in rate-limiter.ts). */
export interface RedisStoreEvents {
  storeError(): void;
  fallback(): void;
}

export interface RedisStoreSettings {
  url: string;
  prefix: string;
  /** REDIS_TIMEOUT, in milliseconds. */
  timeoutMs: number;
  events?: RedisStoreEvents;
  log?: HealthLog;
}

/** How often each process asks Redis whether it answers (PING), whatever the traffic. */
const PROBE_INTERVAL_MS = 1000;
/** The Retry-After of a login refused while Redis does not answer: a little over a probe's round. */
const RETRY_AFTER_SECONDS = 2;
/** How long a process waits for Redis at start before it says Redis is not answering. */
const START_WAIT_MS = 5000;
/**
 * When ioredis and rate-limiter-flexible give up on a command themselves
 * (commandTimeout, RLWrapperTimeouts), in REDIS_TIMEOUTs: never before
 * withinTimeout has answered the request, only so that commands to a Redis
 * that stays frozen are not kept forever.
 */
const BACKSTOP_FACTOR = 4;

class RedisTimeoutError extends Error {}

/**
 * `work`, or a RedisTimeoutError after `ms`, but only once the process has
 * read what arrived meanwhile. A timer runs before the event loop's poll
 * phase, which reads the sockets: after the process was busy, or not given a
 * core, for longer than `ms` (a burst of sign-ups on a loaded machine), a
 * bare timer would fail a command whose answer came in time and is waiting
 * to be read (ioredis's commandTimeout does: 4 of 50 parallel sign-ups over
 * 4 workers got 503 from a healthy Redis at 500 ms). setImmediate runs after
 * that read, and after the promises it settles.
 */
function withinTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => setImmediate(() => reject(new RedisTimeoutError())), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export const REDIS_SHARED = "counted in Redis (REDIS_URL), shared by every process using it";
export const REDIS_AWAY =
  "Redis (REDIS_URL) is not answering: logins and sign-ups are refused (503) until it does; USER_RATE is counted in this process";

/**
 * Whether this process counts in Redis right now. "starting" until the first
 * answer; then "up" or "down", each change logged once.
 */
class Health {
  private state: "starting" | "up" | "down" = "starting";
  /** Bumped each time Redis is found answering: a failure of a command sent before is old news. */
  epoch = 0;
  private lastReason = "not connected yet";
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly timeoutMs: number,
    private readonly log?: HealthLog,
  ) {}

  get up(): boolean {
    return this.state === "up";
  }

  succeeded(): void {
    if (this.state === "up") return;
    const was = this.state;
    this.state = "up";
    this.epoch++;
    if (was === "down") this.log?.info(`Redis (REDIS_URL) is answering again: limits are ${REDIS_SHARED}`);
    for (const wake of this.waiters) wake();
  }

  /** A command or probe sent during `epoch` failed. */
  failed(error: unknown, epoch: number): void {
    this.lastReason = this.reason(error);
    if (this.state === "up" && epoch === this.epoch) this.goDown();
  }

  /** The start wait is over: without an answer so far, say so. */
  startWaitOver(): void {
    if (this.state === "starting") this.goDown();
  }

  /** Resolves true once Redis answers, false after `timeoutMs`. */
  waitUp(timeoutMs: number): Promise<boolean> {
    if (this.up) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(ok);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(wake);
    });
  }

  private goDown(): void {
    this.state = "down";
    this.log?.warn(`${REDIS_AWAY} (${this.lastReason})`);
  }

  private reason(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof RedisTimeoutError) return `no answer within REDIS_TIMEOUT, ${this.timeoutMs} ms`;
    // ioredis and rate-limiter-flexible's words for a client that is not connected.
    if (/enableOfflineQueue|connection is not ready|Connection is closed/i.test(message)) return "not connected";
    return message;
  }
}

type Op = "consume" | "penalty" | "reward" | "get" | "set" | "block" | "delete";

/**
 * rate-limiter-flexible's extension point for a limiter of one's own: what
 * its wrappers need besides the operations.
 */
abstract class CompatibleLimiter extends RateLimiterCompatibleAbstract {
  // Own properties: class fields are defined on the instance (ES2022), over
  // the base class's accessors, which only throw "You have to implement".
  override blockDuration = 0;
  override execEvenly = false;

  constructor(override readonly keyPrefix: string) {
    super();
  }

  protected abstract run(op: Op, args: unknown[]): Promise<never>;

  override consume(...args: unknown[]) {
    return this.run("consume", args);
  }
  override penalty(...args: unknown[]) {
    return this.run("penalty", args);
  }
  override reward(...args: unknown[]) {
    return this.run("reward", args);
  }
  override get(...args: unknown[]) {
    return this.run("get", args);
  }
  override set(...args: unknown[]) {
    return this.run("set", args);
  }
  override block(...args: unknown[]) {
    return this.run("block", args);
  }
  override delete(...args: unknown[]) {
    return this.run("delete", args);
  }
}

/**
 * The counters in Redis, within REDIS_TIMEOUT, while Redis answers; while it
 * does not, fails at once, without sending anything. Either failure makes
 * RLWrapperTimeouts hand the operation to its insurance (this process's
 * counters, or a refusal).
 */
class RedisGate extends CompatibleLimiter {
  constructor(
    private readonly redis: RateLimiterRedis,
    private readonly health: Health,
    private readonly timeoutMs: number,
    private readonly events?: RedisStoreEvents,
  ) {
    super(redis.keyPrefix);
  }

  protected async run(op: Op, args: unknown[]): Promise<never> {
    if (!this.health.up) throw new Error("Redis (REDIS_URL) is not answering");
    const epoch = this.health.epoch;
    try {
      const call = (this.redis[op] as (...a: unknown[]) => Promise<unknown>).apply(this.redis, args);
      const result = (await withinTimeout(call, this.timeoutMs)) as never;
      this.health.succeeded();
      return result;
    } catch (e) {
      // Points spent: Redis answered.
      if (e instanceof RateLimiterRes) {
        this.health.succeeded();
        throw e;
      }
      this.events?.storeError();
      this.health.failed(e, epoch);
      throw e;
    }
  }
}

/** The insurance of the limits that fail closed: every operation refused with 503. */
class Refusal extends CompatibleLimiter {
  protected run(): Promise<never> {
    return Promise.reject(new UnavailableError(MESSAGES.limitsUnavailable, RETRY_AFTER_SECONDS));
  }
}

/** The insurance of the limits that count locally, reporting each point they count. */
class LocalCounters extends RateLimiterMemory {
  constructor(
    opts: ConstructorParameters<typeof RateLimiterMemory>[0],
    private readonly events?: RedisStoreEvents,
  ) {
    super(opts);
  }

  override consume(...args: Parameters<RateLimiterMemory["consume"]>) {
    this.events?.fallback();
    return super.consume(...args);
  }

  override reward(...args: Parameters<RateLimiterMemory["reward"]>) {
    this.events?.fallback();
    return super.reward(...args);
  }
}

export interface RedisStore {
  kind: "redis";
  limiters(name: string, rate: Rate, options?: RedisLimiterOptions): RateLimiterAbstract;
  ready(timeoutMs?: number): Promise<boolean>;
  /** Where limits are counted at this moment, for the start-up line. */
  where(): string;
  close(): Promise<void>;
}

export function redisStore(settings: RedisStoreSettings): RedisStore {
  const { url, prefix, timeoutMs, events, log } = settings;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- ioredis is loaded only when REDIS_URL is set
  const { Redis: RedisClient } = require("ioredis") as typeof import("ioredis");
  const client: Redis = new RedisClient(url, {
    commandTimeout: BACKSTOP_FACTOR * timeoutMs,
    connectTimeout: Math.max(timeoutMs, 2000),
    // Not connected: a command fails at once instead of waiting in a queue.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Commands lost with a connection are not sent again on the next one:
    // their requests have been answered already.
    autoResendUnfulfilledCommands: false,
    // The probes say when Redis answers; ioredis's own INFO check would only
    // add a warning of its own when it times out.
    enableReadyCheck: false,
  });
  const health = new Health(timeoutMs, log);
  let closing = false;

  let probing = false;
  const probe = () => {
    if (probing || closing) return;
    probing = true;
    const epoch = health.epoch;
    withinTimeout(client.ping(), timeoutMs)
      .then(
        () => health.succeeded(),
        (e: unknown) => health.failed(e, epoch),
      )
      .finally(() => (probing = false));
  };
  const probes = setInterval(probe, PROBE_INTERVAL_MS);
  probes.unref();
  const startWait = setTimeout(() => health.startWaitOver(), START_WAIT_MS);
  startWait.unref();

  client.on("ready", probe);
  client.on("error", (e: unknown) => {
    events?.storeError();
    health.failed(e, health.epoch);
  });
  client.on("close", () => {
    if (!closing) health.failed(new Error("connection lost"), health.epoch);
  });

  return {
    kind: "redis",
    limiters(name, rate, options = {}) {
      const opts = { keyPrefix: name, points: rate.points, duration: rate.duration };
      const redis = new RateLimiterRedis({
        ...opts,
        storeClient: client,
        keyPrefix: `${prefix}${name}`,
        rejectIfRedisNotReady: true,
      });
      return new RLWrapperTimeouts({
        limiter: new RedisGate(redis, health, timeoutMs, events),
        timeoutMs: BACKSTOP_FACTOR * timeoutMs,
        insuranceLimiter:
          options.whenUnavailable === "count-locally" ? new LocalCounters(opts, events) : new Refusal(name),
      });
    },
    // Serving before the first answer would refuse the first logins, so the
    // server waits for it (a while) before listening.
    ready: (wait = START_WAIT_MS) => health.waitUp(wait),
    where: () => (health.up ? REDIS_SHARED : REDIS_AWAY),
    async close() {
      closing = true;
      clearInterval(probes);
      clearTimeout(startWait);
      // QUIT is bounded by the backstop too.
      if (client.status === "ready") await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}
