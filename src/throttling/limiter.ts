import type { RateLimiterRes } from "rate-limiter-flexible";

/**
 * One rate's counters, as rate-limiter-flexible's limiters count them:
 * consume() rejects with a RateLimiterRes once a window's points are spent.
 */
export interface Limiter {
  consume(key: string, points?: number): Promise<RateLimiterRes>;
  reward(key: string, points?: number): Promise<RateLimiterRes>;
  get(key: string): Promise<RateLimiterRes | null>;
  delete(key: string): Promise<boolean>;
}
