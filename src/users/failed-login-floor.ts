import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parseDjangoHash, verifyParsedHash, type DjangoHash } from "./django-hashers";

// A failed login answers no sooner than the slowest check a stored password
// would cost. Every path of a failed login does one real argon2id check (a
// dummy one where there is nothing to check), but a hash imported from
// Django keeps its own cost until its user's first login replaces it: a
// PBKDF2 hash at Django 5's 1,000,000 iterations takes over a second, so
// without a floor the time of a wrong password tells which usernames hold
// one (and so exist). The floor is a wait, not CPU: the slowest cost class
// present is measured once per process, then every failed login, the slow
// one included, is padded to a margin above it.
// It is learnt from the stored hashes when the server starts and again every
// REFRESH_MS (an import by another process is covered from then on), and
// falls back to our own hash's cost once the imported hashes are gone.

/** What a check's cost depends on: the hasher and its parameters, never the salt or digest. */
export function costClass(parsed: DjangoHash): string {
  switch (parsed.algorithm) {
    case "pbkdf2_sha256":
    case "pbkdf2_sha1":
      return `${parsed.algorithm}$${parsed.iterations}`;
    case "argon2":
      // $argon2id$v=19$m=12288,t=3,p=1$<salt>$<hash>: everything before the salt.
      return `argon2${parsed.phc.split("$").slice(0, -2).join("$")}`;
    case "bcrypt":
    case "bcrypt_sha256":
      // $2b$12$...: the cost is the second field.
      return `${parsed.algorithm}${parsed.bcrypt.slice(0, 7)}`;
    case "scrypt":
      return `scrypt$${parsed.n}$${parsed.r}$${parsed.p}`;
  }
}

/** Pages of stored password hashes, in a stable order, `limit` at a time after the last one seen. */
export type StoredHashes = (after: number, limit: number) => Promise<{ id: number; password: string }[]>;

const PAGE = 1000;
const REFRESH_MS = 5 * 60_000;
/** What the floor never exceeds: HASH_BOUNDS keep any checked hash near a second on a 2-core machine. */
const MAX_FLOOR_MS = 3000;
const PROBE = "failed-login floor: not anyone's password";
/**
 * The floor is the slowest class's measured check times this: one
 * measurement varies with the machine's load, and a real failed check (its
 * user's lookup included) must end under the floor for every path to answer
 * at the floor's time.
 */
const MARGIN = 1.5;

export class FailedLoginFloor {
  private floorMs = 0;
  private readonly measured = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<number> | undefined;
  private closed = false;

  constructor(private readonly stored: StoredHashes) {}

  /** The current floor, in ms. */
  get ms(): number {
    return this.floorMs;
  }

  /**
   * Reads every stored hash, measures each cost class not measured yet in
   * this process (one check with a wrong password, on libuv's threads), and
   * sets the floor to the slowest class present. Concurrent calls share one run.
   */
  refresh(): Promise<number> {
    this.refreshing ??= this.scan().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async scan(): Promise<number> {
    const examples = new Map<string, DjangoHash>();
    for (let after = 0; ;) {
      if (this.closed) return this.floorMs;
      const page = await this.stored(after, PAGE);
      for (const { password } of page) {
        const parsed = parseDjangoHash(password);
        if (!parsed) continue;
        const key = costClass(parsed);
        if (!examples.has(key)) examples.set(key, parsed);
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.id;
    }
    let slowest = 0;
    for (const [key, parsed] of examples) {
      let ms = this.measured.get(key);
      if (ms === undefined) {
        const started = performance.now();
        await verifyParsedHash(parsed, PROBE);
        ms = performance.now() - started;
        this.measured.set(key, ms);
      }
      slowest = Math.max(slowest, ms);
    }
    this.floorMs = Math.min(slowest * MARGIN, MAX_FLOOR_MS);
    return this.floorMs;
  }

  /** Refreshes now and then every REFRESH_MS; a failed refresh keeps the last floor. */
  watch(onError: (error: unknown) => void): void {
    const run = () => void this.refresh().catch(onError);
    run();
    this.timer = setInterval(run, REFRESH_MS);
    this.timer.unref();
  }

  /** Waits until `floor` ms have passed since `startedAt` (performance.now()). */
  async pad(startedAt: number): Promise<void> {
    const wait = this.floorMs - (performance.now() - startedAt);
    if (wait > 0) await sleep(wait);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }
}
