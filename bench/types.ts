import type { LoadResult } from "./load";
import type { ProfileSummary } from "./profile";
import type { RoundTrips } from "./round-trips";
import type { OperationName, ReadKey, ScenarioName } from "./scenarios";
import type { Provider } from "./seed";
import type { MemoryPeak, ServerKind } from "./servers";

// The bench's options and the shape of its report, shared by bench.ts (which
// fills it) and report.ts (which prints it).

export interface BenchOptions {
  db: Provider;
  workers: number;
  /** Seconds per measured run. */
  duration: number;
  /** Seconds of discarded load before each run. */
  warmup: number;
  connections: number;
  scenarios: ScenarioName[];
  baseline: boolean;
  /** Also run the reads with the other worker count (1 and 2). */
  compareWorkers: boolean;
  /** Also run the seed's DRF stack (../shared/anchors/drf) on the same database kind, data size and workers, first. */
  vsDrf: boolean;
  /** With db postgresql: also run our reads through a PgBouncer in transaction mode. */
  pgbouncer: boolean;
  /** Times the whole sequence of servers and scenarios runs; figures are the median. */
  runs: number;
  /** Which keys the read scenarios send (bench.ts's readKeys()): full, scoped (STUDENTS_READ) or both. */
  readKey: ReadKey;
  profile: boolean;
  /** Logins per second in readsWithLogins. */
  loginRate: number;
  students: number;
  users: number;
  /** PostgreSQL: a migrated database to start the seed's schema from instead of migrating (bench/seed.ts). */
  postgresSchemaFrom: string | null;
  /** Where the JSON goes; null: nowhere. */
  out: string | null;
  log: (line: string) => void;
}

export interface ScenarioResult extends LoadResult {
  /** Peak resident memory during this scenario. */
  memory: MemoryPeak;
}

export interface ReadsWithLogins {
  alone: ScenarioResult;
  withLogins: ScenarioResult;
  logins: LoadResult;
  /** p99 of reads with logins / p99 of reads alone. */
  p99Ratio: number;
}

/** "pgbouncer": our server with DATABASE_URL through PgBouncer. */
export type RunKind = ServerKind | "pgbouncer";

export interface ServerRun {
  kind: RunKind;
  workers: number;
  /** Set when the server could not be measured at all (it did not start, say): why. */
  failure?: string;
  scenarios: Partial<Record<OperationName, ScenarioResult>>;
  /**
   * readKey "both", ours at --workers: the reads again with keys limited to
   * STUDENTS_READ, each measured back to back with the same read with full
   * keys (full first in odd runs, scoped first in even ones).
   */
  scopedReads?: Partial<Record<OperationName, ScenarioResult>>;
  readsWithLogins?: ReadsWithLogins;
  /** VmHWM of every process of the server, at the end of the run. */
  highWater: MemoryPeak;
  profile?: ProfileSummary | null;
}

/** What one run (of --runs) says about the targets. Ratios are of req/s. */
export interface Figures {
  /** ours / DRF, same worker count. */
  vsDrf: Partial<Record<OperationName, number>>;
  /** ours' p99, ms (Infinity when nothing answered). */
  p99: Partial<Record<OperationName, number>>;
  /** ours / the bare baseline. */
  vsBaseline: Partial<Record<OperationName, number>>;
  /** ours through PgBouncer / ours direct, reads. */
  pgbouncerVsDirect: Partial<Record<OperationName, number>>;
  /** ours with the other worker count's reads: WEB_CONCURRENCY=2 / 1. */
  workerScaling: Partial<Record<OperationName, number>>;
  /** Largest VmHWM of any process of ours (any worker count, direct or through PgBouncer), MB. */
  rssPerWorkerMB: number | null;
  /**
   * readKey "both": ours with keys limited to STUDENTS_READ / ours with full
   * keys, each read; absent when either side had failed answers.
   */
  scopedVsFull: Partial<Record<OperationName, number>>;
  /** readsWithLogins: p99 with logins / p99 alone. */
  loginStallRatio: number | null;
  /** Failed answers (non-2xx, GraphQL errors, socket errors) per server kind and scenario; absent when none. */
  errors: Partial<Record<RunKind, Partial<Record<OperationName, number>>>>;
}

export interface BenchRun {
  /** 1-based. */
  run: number;
  startedAt: string;
  /** os.loadavg() when the run started: 1, 5 and 15 minutes. */
  loadAverage: [number, number, number];
  servers: ServerRun[];
  figures: Figures;
}

export interface TargetLine {
  target: string;
  measured: string;
  verdict: "PASS" | "MISS" | "n/a";
}

export interface BenchReport {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGB: number; node: string; platform: string };
  options: Omit<BenchOptions, "log" | "out">;
  /** The PostgreSQL server (host:port, never a password) and its version, with db postgresql. */
  postgres?: { server: string; version: string };
  /** The PgBouncer in front of it, with --pgbouncer. */
  pgbouncer?: { version: string; poolMode: string; poolSize: number };
  /** Which keys the read scenarios send: "full" (all the user's rights), "scoped" (STUDENTS_READ) or "both". */
  readKey: ReadKey;
  /** With the read scenarios' keys ("both": full). */
  roundTrips: RoundTrips;
  /** readKey "both": the reads' round trips with keys limited to STUDENTS_READ. */
  roundTripsScoped?: RoundTrips;
  /** Rows each server answered the same, checked before the load. */
  baselineAgrees: string[];
  /** Each run, in order, with its own figures. */
  runs: BenchRun[];
  /** Per server and worker count: each figure the median over the runs, peaks the largest, errors summed. */
  servers: ServerRun[];
  /** Each figure's median over the runs (rssPerWorkerMB: the largest). */
  figures: Figures;
  targets: TargetLine[];
}
