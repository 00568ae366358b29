import type { Rate } from "../config/duration";
import { type LimiterFactory, RateLimiterRes, retryAfter } from "./rate-limiter";
import { ThrottledError } from "../shared/errors";

/**
 * DRF's UserRateThrottle: every authenticated request counts against its
 * user (USER_RATE); over the rate, TOO_MANY_REQUESTS with Retry-After.
 */
export class UserThrottle {
  private readonly limiter;

  constructor(limiters: LimiterFactory, rate: Rate) {
    // Unlike the login limits, signed-in requests keep being served while
    // Redis does not answer, counted on this process alone.
    this.limiter = limiters("user", rate, { whenUnavailable: "count-locally" });
  }

  async hit(userId: number): Promise<void> {
    try {
      await this.limiter.consume(String(userId));
    } catch (e) {
      // rate-limiter-flexible rejects with a RateLimiterRes when the points are gone.
      if (e instanceof RateLimiterRes) throw new ThrottledError(retryAfter(e));
      throw e;
    }
  }
}
