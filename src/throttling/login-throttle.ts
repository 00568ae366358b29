import type { Limiter } from "./rate-limiter";
import type { Rate } from "../config/duration";
import { ThrottledError } from "../shared/errors";
import {
  type Counter,
  type LimiterFactory,
  type Reservation,
  RateLimiterRes,
  reserve,
  retryAfter,
  tryReserve,
} from "./rate-limiter";
import { normalizeUsername, USERNAME_RAW_MAX } from "../users/username";

/**
 * LOGIN_RATE: password checks per username and per client address, for
 * obtainToken and changePassword's old password.
 *
 * A check reserves its point on both counters before the password is
 * verified (reserve: atomic in the shared store, never check-then-count),
 * and gives it back only when the password was right. So at every moment,
 * per username and per address, across every process sharing the store:
 *
 *     failed checks in the current window + checks in progress <= LOGIN_RATE
 *
 * A burst of any size, mixing right and wrong passwords, never runs more
 * than LOGIN_RATE checks at once, and never more than LOGIN_RATE wrong
 * passwords are tried in a window.
 *
 * A request that finds a counter spent is not refused at once when checks
 * are in progress on it: those may succeed and give their points back, and
 * a right password must not be refused for arriving while they ran. It
 * waits for them (see acquire) up to LOGIN_QUEUE_TIMEOUT, and is refused
 * (429) only once the points are held by failed checks alone, or at that
 * bound. Checks in progress are counted in the store too (a second pair of
 * counters), so every process sees every other process's.
 *
 * LOGIN_SUCCESS_RATE (obtainToken only): successful logins per username and
 * address together. Its point is taken before the check and given back when
 * the password was wrong, so it counts successes (and checks in progress),
 * exactly, across processes.
 */
export class LoginThrottle {
  private readonly checks: { byUsername: Limiter; byAddress: Limiter };
  private readonly inProgress: { byUsername: Limiter; byAddress: Limiter };
  private readonly successes: Limiter;
  /** This process's waiters, woken when one of its own checks ends. */
  private readonly waiters = new Set<() => void>();
  /** Per username and address: the last of this process's requests in the queue (see acquire). */
  private readonly turns = new Map<string, Turn>();

  constructor(
    limiters: LimiterFactory,
    private readonly options: { rate: Rate; successRate: Rate; queueTimeoutMs: number },
  ) {
    this.checks = { byUsername: limiters("login-user", options.rate), byAddress: limiters("login-ip", options.rate) };
    // Never refuses: a count, not a limit. Its window only bounds how long the
    // count of a process that died mid-check outlives it.
    this.inProgress = {
      byUsername: limiters("login-user-checking", IN_PROGRESS),
      byAddress: limiters("login-ip-checking", IN_PROGRESS),
    };
    this.successes = limiters("login-success", options.successRate);
  }

  /**
   * Reserves one password check (changePassword's old password); throws
   * TOO_MANY_REQUESTS (nothing kept) when the budget is spent by failed
   * checks, or still held by checks in progress after LOGIN_QUEUE_TIMEOUT.
   * Call `passed()` or `failed()` on the result once the password is known.
   */
  reserve(username: string, address: string): Promise<LoginAttempt> {
    return this.acquire(username, address, false);
  }

  /** reserve() for obtainToken: also takes a point of LOGIN_SUCCESS_RATE. */
  reserveLogin(username: string, address: string): Promise<LoginAttempt> {
    return this.acquire(username, address, true);
  }

  /**
   * The requests of this process for one username and address take their
   * points one at a time, in arrival order: only the first of them asks the
   * store and waits there, the others wait behind it here. Left to race,
   * every one of 40 requests would poll the store for each point given
   * back, and the store's round trips, not the checks, would set the pace.
   */
  private async acquire(username: string, address: string, login: boolean): Promise<LoginAttempt> {
    const user = this.userKey(username);
    const deadline = Date.now() + this.options.queueTimeoutMs;
    const key = `${user}\n${address}`;
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const previous = this.turns.get(key);
    const turn: Turn = { tail: previous ? previous.tail.then(() => mine) : mine, spentUntil: previous?.spentUntil };
    if (previous) previous.next = turn;
    this.turns.set(key, turn);
    try {
      await previous?.tail;
      const successKey = login ? `${user} ${address}` : null;
      return await this.decide(user, address, successKey, deadline, turn, previous !== undefined);
    } finally {
      done();
      if (this.turns.get(key) === turn) this.turns.delete(key);
    }
  }

  private async decide(
    user: string,
    address: string,
    successKey: string | null,
    deadline: number,
    turn: Turn,
    queued: boolean,
  ): Promise<LoginAttempt> {
    const counters: Counter[] = [
      { limiter: this.checks.byUsername, key: user },
      { limiter: this.checks.byAddress, key: address },
    ];
    const progress: Counter[] = [
      { limiter: this.inProgress.byUsername, key: user },
      { limiter: this.inProgress.byAddress, key: address },
    ];
    let waited = queued;
    let pause = FIRST_PAUSE_MS;
    for (;;) {
      // Failed checks never give their points back: the request before this
      // one found the budget spent by them, and so it stays until the window ends.
      const spentFor = (turn.spentUntil ?? 0) - Date.now();
      if (spentFor > 0) throw new ThrottledError(spentFor / 1000);
      const attempt = await this.attempt(counters, progress, successKey, waited);
      if (attempt instanceof LoginAttempt) return attempt;
      // Refused. Read in this order: checks in progress, the budget, checks in
      // progress again. A check counts itself in progress before it takes its
      // point and until it has given it back, so a budget seen spent between
      // two reads of "none in progress" is held by failed checks: no check
      // that could give a point back started and ended between them (a check
      // outlasts three reads).
      const before = await Promise.all(progress.map(count));
      const states = await Promise.all(counters.map((c) => c.limiter.get(c.key)));
      const spent = states.findIndex((s) => s !== null && s.consumedPoints >= this.options.rate.points);
      const res = states[spent] ?? attempt;
      if (spent !== -1 && before[spent] === 0 && (await count(progress[spent]!)) === 0) {
        for (let t: Turn | undefined = turn; t; t = t.next) t.spentUntil = Date.now() + res.msBeforeNext;
        throw new ThrottledError(retryAfter(res));
      }
      if (Date.now() >= deadline) throw new ThrottledError(retryAfter(res));
      // A point came free since the refusal: try again at once.
      if (spent === -1) continue;
      waited = true;
      await this.nextChance(Math.min(pause, deadline - Date.now()));
      pause = Math.min(pause * 2, MAX_PAUSE_MS);
    }
  }

  /**
   * Counts the check in progress, then takes its points. The refusing
   * counter's state when the budget is spent (nothing kept); throws
   * TOO_MANY_REQUESTS when LOGIN_SUCCESS_RATE is spent.
   */
  private async attempt(
    counters: Counter[],
    progress: Counter[],
    successKey: string | null,
    waited: boolean,
  ): Promise<LoginAttempt | RateLimiterRes> {
    // Never refused: one counter at a time buys nothing here.
    const counted = await Promise.all(progress.map((c) => reserve([c])));
    const checking = { giveBack: async () => void (await Promise.all(counted.map((r) => r.giveBack()))) };
    const outcome = await tryReserve(counters).catch(async (e: unknown) => {
      await checking.giveBack();
      throw e;
    });
    if ("refused" in outcome) {
      await checking.giveBack();
      return outcome.res;
    }
    let success: Reservation | null = null;
    if (successKey !== null) {
      try {
        success = await reserve([{ limiter: this.successes, key: successKey }]);
      } catch (e) {
        await outcome.giveBack();
        await checking.giveBack();
        throw e;
      }
    }
    return new LoginAttempt(outcome, success, () => this.ended(checking), waited);
  }

  /** A check is over: no longer in progress, and this process's waiters look again. */
  private async ended(checking: Reservation): Promise<void> {
    await checking.giveBack();
    for (const wake of [...this.waiters]) wake();
  }

  /** Until a check of this process ends, or `ms` (for checks of other processes). */
  private nextChance(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      // Jitter, so the waiters of several processes do not poll in step.
      const timer = setTimeout(wake, Math.max(1, ms * (0.5 + Math.random() / 2)));
      this.waiters.add(wake);
    });
  }

  private userKey(username: string): string {
    // Normalised as a login looks the user up (so " admin" cannot buy fresh
    // tries for "admin"), case-folded and bounded. Callers refuse longer
    // input before reserving; the cut only keeps NFKC's cost bounded here too.
    return normalizeUsername(username.slice(0, USERNAME_RAW_MAX)).toLowerCase().slice(0, 200);
  }
}

/** One request's place in its username and address's queue. */
interface Turn {
  /** Settles once this request and every one before it have their answer. */
  tail: Promise<void>;
  /** The request queued behind this one. */
  next?: Turn;
  /** Until when (ms since the epoch) the budget is known spent by failed checks alone. */
  spentUntil?: number;
}

/** The checks-in-progress counters: no real limit, and a window far longer than any check. */
const IN_PROGRESS: Rate = { points: 1_000_000, duration: 600 };

/** How long a waiter first waits for checks of other processes; doubled each time, up to MAX_PAUSE_MS. */
const FIRST_PAUSE_MS = 20;
const MAX_PAUSE_MS = 250;

async function count(counter: Counter): Promise<number> {
  const res: RateLimiterRes | null = await counter.limiter.get(counter.key);
  return Math.max(0, res?.consumedPoints ?? 0);
}

/** One password check holding its points; settle it with passed() or failed(), exactly once. */
export class LoginAttempt {
  private settled = false;

  constructor(
    private readonly checks: Reservation,
    private readonly success: Reservation | null,
    private readonly end: () => Promise<void>,
    /** Whether it waited for other checks in progress before it got its points. */
    readonly waited: boolean,
  ) {}

  /** The password was right: the check does not count (a successful login does, in LOGIN_SUCCESS_RATE). */
  async passed(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    // Given back before the check stops counting as in progress: a waiter
    // that then sees none in progress also sees the point free.
    await this.checks.giveBack();
    await this.end();
  }

  /** The password was wrong, or the check failed: its point stays spent. */
  async failed(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    await this.success?.giveBack();
    await this.end();
  }
}
