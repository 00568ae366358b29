import type { LoadResult } from "./load";
import type { ProfileSummary } from "./profile";
import type { RoundTrips } from "./round-trips";
import type { OperationName, ScenarioName } from "./scenarios";
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
  /** Also run the seed's DRF stack (../shared/anchors/drf) with the same data size and workers, first. */
  vsDrf: boolean;
  profile: boolean;
  /** Logins per second in readsWithLogins. */
  loginRate: number;
  students: number;
  users: number;
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

export interface ServerRun {
  kind: ServerKind;
  workers: number;
  scenarios: Partial<Record<OperationName, ScenarioResult>>;
  readsWithLogins?: ReadsWithLogins;
  /** VmHWM of every process of the server, at the end of the run. */
  highWater: MemoryPeak;
  profile?: ProfileSummary | null;
}

export interface BenchReport {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGB: number; node: string; platform: string };
  options: Omit<BenchOptions, "log" | "out">;
  roundTrips: RoundTrips;
  /** Rows each server answered the same, checked before the load. */
  baselineAgrees: string[];
  runs: ServerRun[];
}
