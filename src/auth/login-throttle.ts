import type { RateLimiterAbstract } from "rate-limiter-flexible";
import type { Rate } from "../config/duration";
import { type LimiterFactory, type Reservation, reserve } from "../limits/rate-limiter";
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
 * passwords are tried in a window. A right password tried after the budget
 * is spent is refused like a wrong one (429), without being checked. A
 * success gives back only its own point, so one address that knows the
 * password cannot clear another address's count.
 */
export class LoginThrottle {
  private readonly byUsername: RateLimiterAbstract;
  private readonly byAddress: RateLimiterAbstract;

  constructor(limiters: LimiterFactory, rate: Rate) {
    this.byUsername = limiters("login-user", rate);
    this.byAddress = limiters("login-ip", rate);
  }

  /**
   * Reserves one password check; throws TOO_MANY_REQUESTS (nothing kept)
   * when either counter is spent. Call `passed()` on the result when the
   * password was right; a failure (or an error) keeps the point spent.
   */
  async reserve(username: string, address: string): Promise<LoginAttempt> {
    const reservation = await reserve([
      { limiter: this.byUsername, key: this.userKey(username) },
      { limiter: this.byAddress, key: address },
    ]);
    return new LoginAttempt(reservation);
  }

  private userKey(username: string): string {
    // Normalised as a login looks the user up (so " admin" cannot buy fresh
    // tries for "admin"), case-folded and bounded. Callers refuse longer
    // input before reserving; the cut only keeps NFKC's cost bounded here too.
    return normalizeUsername(username.slice(0, USERNAME_RAW_MAX)).toLowerCase().slice(0, 200);
  }
}

export class LoginAttempt {
  constructor(private readonly reservation: Reservation) {}

  /** The password was right: the check does not count. */
  passed(): Promise<void> {
    return this.reservation.giveBack();
  }
}
