import type { RateLimiterAbstract } from "rate-limiter-flexible";
import type { Rate } from "../config/duration";
import { type LimiterFactory, RateLimiterRes, retryAfter } from "../limits/rate-limiter";
import { ThrottledError } from "../shared/errors";
import { normalizeUsername } from "../users/user.service";

/**
 * Failed logins counted per username and per client address (LOGIN_RATE).
 * Only failures count, and a success resets nothing, so one address that
 * knows the password cannot clear another address's count.
 */
export class LoginThrottle {
  private readonly byUsername: RateLimiterAbstract;
  private readonly byAddress: RateLimiterAbstract;

  constructor(limiters: LimiterFactory, private readonly rate: Rate) {
    this.byUsername = limiters("login-user", rate);
    this.byAddress = limiters("login-ip", rate);
  }

  /** Throws TOO_MANY_REQUESTS while either counter is spent. */
  async check(username: string, address: string): Promise<void> {
    const [user, ip] = await Promise.all([this.byUsername.get(this.userKey(username)), this.byAddress.get(address)]);
    const spent = [user, ip].filter((r): r is RateLimiterRes => r !== null && r.consumedPoints >= this.rate.points);
    if (spent.length > 0) throw new ThrottledError(Math.max(...spent.map(retryAfter)));
  }

  async failed(username: string, address: string): Promise<void> {
    // consume() rejects once the points are gone; the next check() reports it.
    await Promise.allSettled([this.byUsername.consume(this.userKey(username)), this.byAddress.consume(address)]);
  }

  private userKey(username: string): string {
    // Normalised as a login looks the user up (so " admin" cannot buy fresh
    // tries for "admin"), case-folded and bounded.
    return normalizeUsername(username).toLowerCase().slice(0, 200);
  }
}
