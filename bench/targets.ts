import { failedAnswers } from "./figures";
import { LABELS, READS, type OperationName } from "./scenarios";
import type { BenchReport, Figures, RunKind, TargetLine } from "./types";

// The targets the bench checks, in one place: issue 22's, and the two of
// issue 12 that issue 22 does not restate but that must not regress.
// report.ts evaluates them against the median of the runs.

export const TARGETS = {
  issue: 22,
  /** The conditions the targets are set for; a run under others gets "n/a", with its figures. */
  conditions: { workers: 2, connections: 32, runs: 3 },
  /** The scenarios held to the DRF ratio and the p99 target. */
  held: ["students", "student", "createStudent"] as readonly OperationName[],
  sqlite: {
    /** ours / DRF req/s, each held scenario, DRF on SQLite. */
    vsDrf: 10,
    p99Ms: 20,
    /** ours / the bare baseline server req/s, each read. */
    readsVsBaseline: 0.4,
    /** VmHWM of our largest process. */
    rssPerWorkerMB: 150,
  },
  postgresql: {
    /** ours / DRF req/s, each held scenario, DRF on PostgreSQL (CONN_MAX_AGE 60). */
    vsDrf: 5,
    p99Ms: 30,
  },
  pgbouncer: {
    /** ours through PgBouncer (transaction mode) / ours direct, req/s, each read: within 10%. */
    readsVsDirect: 0.9,
  },
  issue12: {
    /** WEB_CONCURRENCY=2 / one process, req/s, each read (--compare-workers). */
    workerScaling: 1.5,
    /** reads' p99 with logins trickling in / reads' p99 alone. */
    loginStallRatio: 2,
  },
} as const;

// ---- evaluation: the report's median figures against the targets above ----

const DATABASE = { sqlite: "SQLite", postgresql: "PostgreSQL" } as const;

/**
 * `v` with `digits` decimals, or more where that would print the limit
 * itself (0.898 against 0.9 prints 0.898, not 0.90 beside a MISS).
 */
function shown(v: number, limit: number, digits: number): string {
  let d = digits;
  while (d < 6 && v !== limit && Number(v.toFixed(d)) === limit) d++;
  return v.toFixed(d);
}
const fraction = (limit: number) => (v: number) => shown(v, limit, 2);
const x = (limit: number) => (v: number) => `${shown(v, limit, 2)}x`;
const ms = (limit: number) => (v: number) =>
  !Number.isFinite(v) ? "no answer" : `${shown(v, limit, v < 10 ? 2 : 1)} ms`;

/** Why the run's conditions are not the targets' (their verdicts are then n/a), or null. */
export function offConditions(options: BenchReport["options"]): string | null {
  const c = TARGETS.conditions;
  const off: string[] = [];
  if (options.workers !== c.workers) off.push(`WEB_CONCURRENCY=${options.workers}, not ${c.workers}`);
  if (options.connections !== c.connections) off.push(`${options.connections} connections, not ${c.connections}`);
  return off.length > 0 ? `measured at ${off.join(", ")}` : null;
}

export function evaluateTargets(report: BenchReport): TargetLine[] {
  const o = report.options;
  const f = report.figures;
  const db = DATABASE[o.db];
  const off = offConditions(o);
  const lines: TargetLine[] = [];
  /** The median, then each run's value when there are several. */
  const perRun = (pick: (fig: Figures) => number | null | undefined, fmt: (v: number) => string) => {
    if (report.runs.length < 2) return "";
    const values = report.runs.map((r) => pick(r.figures));
    return ` (runs: ${values.map((v) => (v === null || v === undefined ? "-" : fmt(v))).join(", ")})`;
  };
  const push = (target: string, measured: string, ok: boolean | "n/a") => {
    if (ok === "n/a") lines.push({ target, measured, verdict: "n/a" });
    else if (off) lines.push({ target, measured: `${measured} [${off}]`, verdict: "n/a" });
    else lines.push({ target, measured, verdict: ok ? "PASS" : "MISS" });
  };
  const failed = (kind: RunKind, n: OperationName) => f.errors[kind]?.[n] ?? 0;

  const dbTargets = TARGETS[o.db];
  for (const n of TARGETS.held) {
    const target = `${LABELS[n]} >= ${dbTargets.vsDrf}x DRF on ${db}`;
    const v = f.vsDrf[n];
    if (!o.vsDrf) push(target, "needs --vs-drf", "n/a");
    else if (v === undefined) push(target, "not measured", "n/a");
    else if (failed("drf", n) > 0)
      push(target, `${x(dbTargets.vsDrf)(v)}, but DRF gave ${failed("drf", n)} failed answers: no comparison`, "n/a");
    else if (failed("ours", n) > 0)
      push(target, `${x(dbTargets.vsDrf)(v)}, but ${failed("ours", n)} failed answers of ours`, false);
    else push(target, x(dbTargets.vsDrf)(v) + perRun((g) => g.vsDrf[n], x(dbTargets.vsDrf)), v >= dbTargets.vsDrf);
  }
  for (const n of TARGETS.held) {
    const target = `${LABELS[n]} p99 <= ${dbTargets.p99Ms} ms`;
    const v = f.p99[n];
    if (v === undefined) push(target, "not measured", "n/a");
    else if (failed("ours", n) > 0)
      push(target, `${ms(dbTargets.p99Ms)(v)}, but ${failed("ours", n)} failed answers of ours`, false);
    else push(target, ms(dbTargets.p99Ms)(v) + perRun((g) => g.p99[n], ms(dbTargets.p99Ms)), v <= dbTargets.p99Ms);
  }
  if (o.db === "sqlite") {
    const t = TARGETS.sqlite;
    for (const n of READS) {
      const target = `${LABELS[n]} >= ${t.readsVsBaseline} of the bare baseline`;
      const v = f.vsBaseline[n];
      if (!o.baseline) push(target, "needs the baseline (no --no-baseline)", "n/a");
      else if (v === undefined) push(target, "not measured", "n/a");
      else if (failed("ours", n) > 0)
        push(target, `${fraction(t.readsVsBaseline)(v)}, but ${failed("ours", n)} failed answers of ours`, false);
      else
        push(
          target,
          fraction(t.readsVsBaseline)(v) + perRun((g) => g.vsBaseline[n], fraction(t.readsVsBaseline)),
          v >= t.readsVsBaseline,
        );
    }
    const rss = f.rssPerWorkerMB;
    const target = `peak RSS per worker <= ${t.rssPerWorkerMB} MB (largest process of ours, VmHWM)`;
    if (rss === null) push(target, "not measured", "n/a");
    else
      push(
        target,
        `${rss.toFixed(0)} MB` +
          perRun(
            (g) => g.rssPerWorkerMB,
            (r) => r.toFixed(0),
          ),
        rss <= t.rssPerWorkerMB,
      );
  } else {
    const t = TARGETS.pgbouncer;
    const bouncer = report.servers.find((s) => s.kind === "pgbouncer");
    for (const n of READS) {
      const target = `${LABELS[n]} through PgBouncer >= ${t.readsVsDirect} of direct`;
      const v = f.pgbouncerVsDirect[n];
      if (!o.pgbouncer) push(target, "needs --pgbouncer", "n/a");
      else if (bouncer?.failure) push(target, `failed: ${bouncer.failure}`, false);
      else if (v === undefined) push(target, "not measured", "n/a");
      else if (failed("pgbouncer", n) > 0)
        push(
          target,
          `${fraction(t.readsVsDirect)(v)}, but ${failed("pgbouncer", n)} failed answers through PgBouncer`,
          false,
        );
      else
        push(
          target,
          fraction(t.readsVsDirect)(v) + perRun((g) => g.pgbouncerVsDirect[n], fraction(t.readsVsDirect)),
          v >= t.readsVsDirect,
        );
    }
  }

  // Issue 12's, on SQLite where they were set.
  if (o.db === "sqlite") {
    const t = TARGETS.issue12;
    const scaling = READS.filter((n) => f.workerScaling[n] !== undefined);
    const target = `(issue 12) WEB_CONCURRENCY=2 >= ${t.workerScaling}x one process on reads`;
    const scalingFailed = scaling.reduce((sum, n) => sum + failed("ours", n), 0);
    if (scaling.length === 0) lines.push({ target, measured: "needs --compare-workers", verdict: "n/a" });
    else
      push(
        target,
        scaling.map((n) => `${n} ${x(t.workerScaling)(f.workerScaling[n]!)}`).join(", ") +
          (scalingFailed > 0 ? `, but ${scalingFailed} failed answers of ours` : ""),
        scalingFailed === 0 && scaling.every((n) => f.workerScaling[n]! >= t.workerScaling),
      );
    const stall = f.loginStallRatio;
    const withLogins = report.servers.find((s) => s.kind === "ours" && s.workers === o.workers)?.readsWithLogins;
    const stallFailed = withLogins
      ? failedAnswers(withLogins.alone) + failedAnswers(withLogins.withLogins) + failedAnswers(withLogins.logins)
      : 0;
    if (stall !== null)
      push(
        `(issue 12) reads' p99 with ~${o.loginRate} logins/s <= ${t.loginStallRatio}x reads alone`,
        stallFailed > 0
          ? `${x(t.loginStallRatio)(stall)}, but ${stallFailed} failed answers of ours`
          : x(t.loginStallRatio)(stall) + perRun((g) => g.loginStallRatio, x(t.loginStallRatio)),
        stallFailed === 0 && stall <= t.loginStallRatio,
      );
  }
  return lines;
}
