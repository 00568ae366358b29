import { MESSAGES, UnavailableError } from "../shared/errors";

// The one rule for every SQLite writer in a process (the request path, the
// rate limiter, bookkeeping): SQLite itself never waits for another process's
// lock (busy timeout 0, so no statement blocks the event loop); the wait
// happens here, between tries, and has a bound. Past it the request is
// answered 503 with Retry-After, and the statement left nothing behind: it
// never started, or its transaction was rolled back.

/** SQLite's "the file is locked by another connection" (and its extended codes). */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code === "SQLITE_BUSY" || code.startsWith("SQLITE_BUSY_"));
}

/**
 * For this long after a write first finds the file locked, it tries again at
 * once (each try a microtask later, so other work interleaves): another
 * process's write holds the lock for tens of microseconds, while waiting for
 * the next turn of the event loop costs the request the rest of that turn.
 */
const RETRY_AT_ONCE_MS = 0.3;

/** The next turn of the event loop first, then 1, 2, 4 ... up to 20 ms between tries. */
function pause(pauses: number): Promise<void> {
  if (pauses === 0) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => setTimeout(resolve, Math.min(20, 2 ** (pauses - 1))));
}

/** Seconds a client is told to wait before trying again when the lock stayed taken. */
export const LOCKED_RETRY_AFTER_SECONDS = 1;

/**
 * Runs `attempt` (which must fail with SQLITE_BUSY before changing anything)
 * until it does not find the file locked, or until `timeoutMs` has passed:
 * then a 503 UnavailableError. Any other error passes through.
 */
export async function retryWhileBusy<T>(attempt: () => T | Promise<T>, timeoutMs: number): Promise<T> {
  const started = performance.now();
  let atOnceUntil: number | undefined;
  for (let pauses = 0; ;) {
    try {
      return await attempt();
    } catch (e) {
      if (!isBusy(e)) throw e;
    }
    const now = performance.now();
    if (now - started >= timeoutMs) {
      throw new UnavailableError(MESSAGES.databaseLocked, LOCKED_RETRY_AFTER_SECONDS);
    }
    atOnceUntil ??= now + RETRY_AT_ONCE_MS;
    if (now < atOnceUntil) continue;
    await pause(pauses++);
  }
}
