import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Rate } from "../config/duration";

// Counters live where every process sees them: see createLimiterStore.
export type LimiterFactory = (name: string, rate: Rate) => RateLimiterAbstract;

export const memoryLimiters: LimiterFactory = (name, rate) =>
  new RateLimiterMemory({ keyPrefix: name, points: rate.points, duration: rate.duration });

/** Seconds until `res` frees a point, at least 1. */
export function retryAfter(res: RateLimiterRes | null): number {
  return Math.max(1, Math.ceil((res?.msBeforeNext ?? 1000) / 1000));
}

export { RateLimiterRes };
