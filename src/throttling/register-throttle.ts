import type { Limiter } from "./rate-limiter";
import type { Rate } from "../config/duration";
import { type LimiterFactory, reserve } from "./rate-limiter";

/**
 * REGISTER_RATE: register calls per client address, every call counted
 * (accepted or refused), reserved atomically in the shared store before any
 * work (validation, hashing, the database), so parallel calls from any
 * number of processes never pass more than the rate in one window.
 */
export class RegisterThrottle {
  private readonly byAddress: Limiter;

  constructor(limiters: LimiterFactory, rate: Rate) {
    this.byAddress = limiters("register-ip", rate);
  }

  /** Throws TOO_MANY_REQUESTS (with Retry-After) past the rate. */
  async hit(address: string): Promise<void> {
    await reserve([{ limiter: this.byAddress, key: address }]);
  }
}
