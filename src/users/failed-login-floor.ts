import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parseDjangoHash, verifyParsedHash, type DjangoHash } from "./django-hashers";

// A failed login answers no sooner than the slowest check a stored password
// would cost. Every path of a failed login does one real argon2id check (a
// dummy one where there is nothing to check), but a hash imported from
// Django keeps its own cost until its user's first login replaces it: a
// PBKDF2 hash at Django 5's 1,000,000 iterations takes over a second, so
// without a floor the time of a wrong password tells which usernames hold
// one (and so exist). The floor is a wait, not CPU: the costliest stored
// hash of each hasher is checked once per process (at most six checks, each
// kept near a second by HASH_BOUNDS, however many parameter sets imported
// data holds), then every failed login, the slow one included, is padded to
// a margin above the slowest.
// It is learnt from the stored hashes when the server starts and again every
// REFRESH_MS (an import by another process is covered from then on), and
// falls back to our own hash's cost once the imported hashes are gone.

/**
 * A hash's work factor, comparable within its hasher only: the hashes of one
 * hasher are ranked by it, and only the costliest of each is measured.
 */
export function workFactor(parsed: DjangoHash): number {
  switch (parsed.algorithm) {
    case "pbkdf2_sha256":
    case "pbkdf2_sha1":
      return parsed.iterations;
    case "argon2": {
      // $argon2id$v=19$m=12288,t=3,p=1$...: memory times passes.
      const [, m, t] = /m=(\d+),t=(\d+)/.exec(parsed.phc) ?? [];
      return Number(m) * Number(t);
    }
    case "bcrypt":
    case "bcrypt_sha256":
      // $2b$12$...: 2^cost rounds.
      return 2 ** Number(parsed.bcrypt.slice(4, 6));
    case "scrypt":
      return parsed.n * parsed.r * parsed.p;
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
  /** Measured check times by hasher and work factor. */
  private readonly measured = new Map<string, number>();
  private checks = 0;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<number> | undefined;
  private closed = false;

  constructor(private readonly stored: StoredHashes) {}

  /** Hashes checked to measure them since the process started. */
  get probes(): number {
    return this.checks;
  }

  /** What has been measured: each hasher with the work factor of the hash checked. */
  get measuredWork(): string[] {
    return [...this.measured.keys()];
  }

  /** The current floor, in ms. */
  get ms(): number {
    return this.floorMs;
  }

  /**
   * Reads every stored hash, checks the costliest of each hasher with a wrong
   * password (on libuv's threads; once per process for each hasher and work
   * factor), and sets the floor from the slowest. Concurrent calls share one run.
   */
  refresh(): Promise<number> {
    this.refreshing ??= this.scan().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async scan(): Promise<number> {
    // The costliest hash of each hasher: at most one probe per hasher (six),
    // however many parameter sets imported data holds.
    const costliest = new Map<DjangoHash["algorithm"], { parsed: DjangoHash; work: number }>();
    for (let after = 0; ;) {
      if (this.closed) return this.floorMs;
      const page = await this.stored(after, PAGE);
      for (const { password } of page) {
        const parsed = parseDjangoHash(password);
        if (!parsed) continue;
        const work = workFactor(parsed);
        if (work > (costliest.get(parsed.algorithm)?.work ?? -1)) costliest.set(parsed.algorithm, { parsed, work });
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.id;
    }
    let slowest = 0;
    for (const [algorithm, { parsed, work }] of costliest) {
      const key = `${algorithm}:${work}`;
      let ms = this.measured.get(key);
      if (ms === undefined) {
        const started = performance.now();
        await verifyParsedHash(parsed, PROBE);
        ms = performance.now() - started;
        this.measured.set(key, ms);
        this.checks++;
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
