import type { LoadResult } from "./load";
import { OPERATIONS, READS, type OperationName } from "./scenarios";
import type { MemoryPeak } from "./servers";
import type { BenchRun, Figures, ReadsWithLogins, RunKind, ScenarioResult, ServerRun } from "./types";

// What the targets are judged on: each run's figures (ratios measured side by
// side in that run), and their median over the runs (--runs). A ratio's
// median is the median of the runs' ratios, not the ratio of medians: each
// run's two sides ran minutes apart at most, on the same machine load.

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Answers that are not a success: non-2xx, GraphQL errors in a 200, socket errors and timeouts. */
export const failedAnswers = (r: LoadResult): number => r.non2xx + r.graphqlErrors + r.socketErrors;

/** p99, or Infinity when nothing answered at all (never 0 ms). */
export const p99Of = (r: LoadResult): number => (r.requests > 0 ? r.p99 : Infinity);

/** One run's figures; `workers` is the worker count the targets compare at (--workers). */
export function figuresOf(servers: readonly ServerRun[], workers: number): Figures {
  const find = (kind: RunKind, w = workers) => servers.find((s) => s.kind === kind && s.workers === w);
  const ours = find("ours");
  const drf = find("drf");
  const base = find("baseline");
  const bouncer = find("pgbouncer");
  const ratios = (a: ServerRun | undefined, b: ServerRun | undefined, names: readonly OperationName[]) => {
    const out: Partial<Record<OperationName, number>> = {};
    for (const n of names) {
      const x = a?.scenarios[n];
      const y = b?.scenarios[n];
      if (x && y && y.rps > 0) out[n] = x.rps / y.rps;
    }
    return out;
  };
  const p99: Partial<Record<OperationName, number>> = {};
  for (const n of OPERATIONS) if (ours?.scenarios[n]) p99[n] = p99Of(ours.scenarios[n]);
  const one = find("ours", 1);
  const two = find("ours", 2);
  const rss = servers.filter((s) => s.kind === "ours" || s.kind === "pgbouncer").map((s) => s.highWater.maxProcessMB);
  // A ratio of answers that failed (a refused key answers fast) says nothing: none then.
  const scopedVsFull: Partial<Record<OperationName, number>> = {};
  for (const n of READS) {
    const scoped = ours?.scopedReads?.[n];
    const full = ours?.scenarios[n];
    if (scoped && full && full.rps > 0 && failedAnswers(scoped) + failedAnswers(full) === 0)
      scopedVsFull[n] = scoped.rps / full.rps;
  }
  const errors: Figures["errors"] = {};
  for (const s of servers) {
    for (const n of OPERATIONS) {
      const r = s.scenarios[n];
      if (r && failedAnswers(r) > 0) {
        const byName = (errors[s.kind] ??= {});
        byName[n] = (byName[n] ?? 0) + failedAnswers(r);
      }
    }
  }
  return {
    vsDrf: ratios(ours, drf, OPERATIONS),
    p99,
    vsBaseline: ratios(ours, base, OPERATIONS),
    pgbouncerVsDirect: ratios(bouncer, ours, READS),
    workerScaling: one && two && one !== two ? ratios(two, one, READS) : {},
    scopedVsFull,
    rssPerWorkerMB: rss.length > 0 ? Math.max(...rss) : null,
    loginStallRatio: ours?.readsWithLogins ? ours.readsWithLogins.p99Ratio : null,
    errors,
  };
}

function medianRecord(records: Partial<Record<OperationName, number>>[]): Partial<Record<OperationName, number>> {
  const out: Partial<Record<OperationName, number>> = {};
  for (const n of OPERATIONS) {
    const values = records.map((r) => r[n]).filter((v): v is number => v !== undefined);
    if (values.length > 0) out[n] = median(values);
  }
  return out;
}

/** Each figure's median over the runs; the peak RSS is the largest, errors are summed. */
export function medianFigures(runs: readonly BenchRun[]): Figures {
  const all = runs.map((r) => r.figures);
  const rss = all.map((f) => f.rssPerWorkerMB).filter((v): v is number => v !== null);
  const stalls = all.map((f) => f.loginStallRatio).filter((v): v is number => v !== null);
  const errors: Figures["errors"] = {};
  for (const f of all) {
    for (const [kind, byName] of Object.entries(f.errors) as [RunKind, Partial<Record<OperationName, number>>][]) {
      const sum = (errors[kind] ??= {});
      for (const [n, count] of Object.entries(byName) as [OperationName, number][]) sum[n] = (sum[n] ?? 0) + count;
    }
  }
  return {
    vsDrf: medianRecord(all.map((f) => f.vsDrf)),
    p99: medianRecord(all.map((f) => f.p99)),
    vsBaseline: medianRecord(all.map((f) => f.vsBaseline)),
    pgbouncerVsDirect: medianRecord(all.map((f) => f.pgbouncerVsDirect)),
    workerScaling: medianRecord(all.map((f) => f.workerScaling)),
    scopedVsFull: medianRecord(all.map((f) => f.scopedVsFull)),
    rssPerWorkerMB: rss.length > 0 ? Math.max(...rss) : null,
    loginStallRatio: stalls.length > 0 ? median(stalls) : null,
    errors,
  };
}

const maxPeak = (peaks: MemoryPeak[]): MemoryPeak => ({
  maxProcessMB: Math.max(0, ...peaks.map((p) => p.maxProcessMB)),
  totalMB: Math.max(0, ...peaks.map((p) => p.totalMB)),
  processes: Math.max(0, ...peaks.map((p) => p.processes)),
});

function medianLoad(results: LoadResult[]): LoadResult {
  const med = (pick: (r: LoadResult) => number) => median(results.map(pick));
  const sum = (pick: (r: LoadResult) => number) => results.reduce((a, r) => a + pick(r), 0);
  return {
    requests: sum((r) => r.requests),
    seconds: sum((r) => r.seconds),
    rps: med((r) => r.rps),
    p50: med((r) => r.p50),
    p99: med(p99Of),
    non2xx: sum((r) => r.non2xx),
    graphqlErrors: sum((r) => r.graphqlErrors),
    socketErrors: sum((r) => r.socketErrors),
  };
}

function medianScenario(results: ScenarioResult[]): ScenarioResult {
  return { ...medianLoad(results), memory: maxPeak(results.map((r) => r.memory)) };
}

/**
 * Per server (kind and worker count, in the first run's order): req/s, p50
 * and p99 the median over the runs; requests and failed answers summed;
 * memory the peak.
 */
export function medianServers(runs: readonly BenchRun[]): ServerRun[] {
  if (runs.length === 1) return runs[0]!.servers;
  return runs[0]!.servers.map((first) => {
    const same = runs
      .map((r) => r.servers.find((s) => s.kind === first.kind && s.workers === first.workers))
      .filter((s): s is ServerRun => s !== undefined);
    const medians = (pick: (s: ServerRun) => ServerRun["scenarios"] | undefined) => {
      const out: ServerRun["scenarios"] = {};
      for (const n of OPERATIONS) {
        const results = same.map((s) => pick(s)?.[n]).filter((r): r is ScenarioResult => r !== undefined);
        if (results.length > 0) out[n] = medianScenario(results);
      }
      return out;
    };
    const scenarios = medians((s) => s.scenarios);
    const scopedReads = medians((s) => s.scopedReads);
    const stalls = same.map((s) => s.readsWithLogins).filter((r): r is ReadsWithLogins => r !== undefined);
    const failures = [...new Set(same.map((s) => s.failure).filter((f): f is string => f !== undefined))];
    return {
      kind: first.kind,
      workers: first.workers,
      scenarios,
      ...(Object.keys(scopedReads).length > 0 ? { scopedReads } : {}),
      ...(stalls.length > 0
        ? {
            readsWithLogins: {
              alone: medianScenario(stalls.map((s) => s.alone)),
              withLogins: medianScenario(stalls.map((s) => s.withLogins)),
              logins: medianLoad(stalls.map((s) => s.logins)),
              p99Ratio: median(stalls.map((s) => s.p99Ratio)),
            },
          }
        : {}),
      highWater: maxPeak(same.map((s) => s.highWater)),
      ...(failures.length > 0 ? { failure: failures.join("; ") } : {}),
      profile: same.find((s) => s.profile)?.profile ?? null,
    };
  });
}
