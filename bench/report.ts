import type { BenchReport, ServerRun } from "./types";
import { WRK } from "./load";
import { OPERATIONS, operation, READS, type OperationName } from "./scenarios";

// The printed report: one table, the targets with PASS/MISS, the profile.

const LABEL: Record<OperationName, string> = Object.fromEntries(
  OPERATIONS.map((n) => [
    n,
    operation(n, { keys: ["0"], usernames: ["u"], password: "", studentIds: { min: 1, max: 1 } }).label,
  ]),
) as Record<OperationName, string>;

/**
 * Targets of issue 12, against the seed's DRF stack measured in the same run
 * (gunicorn, sync workers, SQLite, the same wrk and data size).
 */
export const TARGETS = {
  vsDrf: 5,
  p99Ms: 25,
  workerScaling: 1.5,
  rssPerProcessMB: 150,
  loginStallRatio: 2,
};
/** The scenarios held to the DRF ratio and the p99 target. */
const HELD: readonly OperationName[] = ["students", "student", "createStudent"];

const num = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? "-" : n.toFixed(digits));
const ms = (n: number | undefined) =>
  n === undefined ? "-" : !Number.isFinite(n) ? "no answer" : n < 10 ? n.toFixed(2) : n.toFixed(1);
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? (a / b).toFixed(2) : "-";

function table(rows: string[][], log: (line: string) => void): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  rows.forEach((r, j) => {
    log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "));
    if (j === 0) log(widths.map((w) => "-".repeat(w)).join("  "));
  });
}

export interface TargetLine {
  target: string;
  measured: string;
  verdict: "PASS" | "MISS" | "n/a";
}

export function evaluateTargets(report: BenchReport): TargetLine[] {
  const ours = report.runs.filter((r) => r.kind === "ours");
  const main = ours[0];
  const byWorkers = (w: number) => ours.find((r) => r.workers === w);
  const two = byWorkers(2);
  const one = byWorkers(1);
  const drf = report.runs.find((r) => r.kind === "drf" && r.workers === 2);
  const sqlite = report.options.db === "sqlite";
  const lines: TargetLine[] = [];
  const verdict = (ok: boolean): "PASS" | "MISS" => (ok ? "PASS" : "MISS");

  for (const name of HELD) {
    const target = `${LABEL[name]} >= ${TARGETS.vsDrf}x DRF, WEB_CONCURRENCY=2, SQLite, same run`;
    const r = two?.scenarios[name];
    const d = drf?.scenarios[name];
    if (!sqlite || !r || !d) {
      lines.push({ target, measured: !sqlite ? "not SQLite" : "needs --vs-drf --workers 2", verdict: "n/a" });
    } else {
      const x = r.rps / d.rps;
      lines.push({
        target,
        measured: `${num(r.rps)} vs ${num(d.rps)} req/s: ${x.toFixed(2)}x`,
        verdict: verdict(x >= TARGETS.vsDrf),
      });
    }
  }

  if (main) {
    const checked = HELD.filter((n) => main.scenarios[n]);
    if (checked.length > 0) {
      // A run with no answer at all has no latency: count it as infinitely slow, not as 0 ms.
      const p99Of = (n: OperationName) => (main.scenarios[n]!.requests > 0 ? main.scenarios[n]!.p99 : Infinity);
      const worst = checked.map((n) => [n, p99Of(n)] as const).sort((a, b) => b[1] - a[1]);
      const [name, p99] = worst[0]!;
      lines.push({
        target: `p99 <= ${TARGETS.p99Ms} ms each at ${report.options.connections} connections (WEB_CONCURRENCY=${main.workers})`,
        measured:
          worst.map(([n, v]) => `${n} ${ms(v)}`).join(", ") +
          (p99 > TARGETS.p99Ms ? ` (worst: ${name}, ${ms(p99 - TARGETS.p99Ms)} ms over)` : ""),
        verdict: verdict(p99 <= TARGETS.p99Ms),
      });
    }
  }

  const scaling = READS.filter((n) => one?.scenarios[n] && two?.scenarios[n]).map(
    (n) => [n, two!.scenarios[n]!.rps / one!.scenarios[n]!.rps] as const,
  );
  lines.push(
    scaling.length === 0
      ? {
          target: `WEB_CONCURRENCY=2 >= ${TARGETS.workerScaling}x one process on reads`,
          measured: "needs 1 and 2 workers (--compare-workers)",
          verdict: "n/a",
        }
      : {
          target: `WEB_CONCURRENCY=2 >= ${TARGETS.workerScaling}x one process on reads`,
          measured: scaling.map(([n, x]) => `${n} ${x.toFixed(2)}x`).join(", "),
          verdict: verdict(scaling.every(([, x]) => x >= TARGETS.workerScaling)),
        },
  );

  if (ours.length > 0) {
    const rss = Math.max(...ours.map((r) => r.highWater.maxProcessMB));
    lines.push({
      target: `peak RSS per worker <= ${TARGETS.rssPerProcessMB} MB (largest process, VmHWM)`,
      measured:
        `${num(rss)} MB` + (rss > TARGETS.rssPerProcessMB ? ` (${num(rss - TARGETS.rssPerProcessMB)} MB over)` : ""),
      verdict: verdict(rss <= TARGETS.rssPerProcessMB),
    });
  }

  const stall = main?.readsWithLogins;
  if (stall) {
    lines.push({
      target: `reads p99 with ~${report.options.loginRate} logins/s <= ${TARGETS.loginStallRatio}x reads alone`,
      measured: `${ms(stall.alone.p99)} -> ${ms(stall.withLogins.p99)} ms (${stall.p99Ratio.toFixed(2)}x, ${stall.logins.rps.toFixed(1)} logins/s)`,
      verdict: verdict(stall.p99Ratio <= TARGETS.loginStallRatio),
    });
  }
  return lines;
}

export function printReport(report: BenchReport, log: (line: string) => void): void {
  const o = report.options;
  const m = report.machine;
  log("");
  log(`bench ${report.date}: ${m.cpus} x ${m.cpuModel}, ${m.memoryGB} GB, Node ${m.node}, ${m.platform}`);
  log(
    `database ${o.db}; ${o.connections} connections; ${o.warmup} s warm-up + ${o.duration} s per scenario; ` +
      `seed ${o.students} students, ${o.users} users; wrk (${WRK}), 2 threads, on the same cores as the servers`,
  );
  log(
    `baseline answers the same JSON: ${report.baselineAgrees.length > 0 ? report.baselineAgrees.join(", ") : "not checked"}`,
  );

  for (const run of report.runs.filter((r) => r.kind === "ours")) {
    const base = report.runs.find((r) => r.kind === "baseline" && r.workers === run.workers);
    log("");
    log(`WEB_CONCURRENCY=${run.workers}` + (base ? " (baseline likewise)" : ""));
    const rows = [
      [
        "scenario",
        "req/s",
        "p50 ms",
        "p99 ms",
        "non-2xx",
        "gql err",
        "RSS MB",
        "base req/s",
        "base p99",
        "ours/base",
        "db trips",
      ],
    ];
    for (const name of OPERATIONS) {
      const r = run.scenarios[name];
      if (!r) continue;
      const b = base?.scenarios[name];
      rows.push([
        LABEL[name],
        num(r.rps),
        ms(r.p50),
        ms(r.p99),
        String(r.non2xx + r.socketErrors),
        String(r.graphqlErrors),
        num(r.memory.maxProcessMB),
        num(b?.rps),
        ms(b?.p99),
        b && b.rps > 0 ? `${(r.rps / b.rps).toFixed(2)}` : "-",
        num(report.roundTrips[name], 1),
      ]);
    }
    const s = run.readsWithLogins;
    if (s) {
      const b = base?.readsWithLogins;
      rows.push([
        `students + ${o.loginRate} logins/s`,
        num(s.withLogins.rps),
        ms(s.withLogins.p50),
        ms(s.withLogins.p99),
        String(s.withLogins.non2xx + s.withLogins.socketErrors + s.logins.non2xx + s.logins.socketErrors),
        String(s.withLogins.graphqlErrors + s.logins.graphqlErrors),
        num(s.withLogins.memory.maxProcessMB),
        num(b?.withLogins.rps),
        ms(b?.withLogins.p99),
        b && b.withLogins.rps > 0 ? `${(s.withLogins.rps / b.withLogins.rps).toFixed(2)}` : "-",
        "-",
      ]);
    }
    table(rows, log);
    log(
      `peak RSS (VmHWM): ours ${num(run.highWater.maxProcessMB)} MB per process, ${num(run.highWater.totalMB)} MB over ${run.highWater.processes} process(es)` +
        (base
          ? `; baseline ${num(base.highWater.maxProcessMB)} MB per process, ${num(base.highWater.totalMB)} MB total`
          : ""),
    );
    if (s) {
      log(
        `logins never stall reads: students p99 ${ms(s.alone.p99)} ms alone, ${ms(s.withLogins.p99)} ms with ` +
          `${s.logins.rps.toFixed(1)} logins/s (login p99 ${ms(s.logins.p99)} ms): ${s.p99Ratio.toFixed(2)}x` +
          (b(base) ? `; baseline ${b(base)}` : ""),
      );
    }
  }

  const drf = report.runs.find((r) => r.kind === "drf");
  if (drf) printVsDrf(report, drf, log);

  log("");
  log("targets (issue 12):");
  for (const t of evaluateTargets(report)) log(`  ${t.verdict.padEnd(4)}  ${t.target}: ${t.measured}`);

  for (const run of report.runs.filter((r) => r.profile)) {
    const p = run.profile!;
    log("");
    log(
      `CPU profile, ours, WEB_CONCURRENCY=${run.workers}: ${p.busyMs} ms busy, ${p.idleMs} ms idle, ${p.files.length} file(s) in ${dirnameOf(p.files[0]!)}`,
    );
    table(
      [["self ms", "%", "frame"], ...p.top.map((f) => [String(f.selfMs), f.percent.toFixed(1), f.frame])].map(
        ([a, b2, c]) => [c!, a!, b2!],
      ),
      log,
    );
  }
}

function b(base: ServerRun | undefined): string {
  const s = base?.readsWithLogins;
  return s ? `${ms(s.alone.p99)} -> ${ms(s.withLogins.p99)} ms (${s.p99Ratio.toFixed(2)}x)` : "";
}

const dirnameOf = (file: string) => file.slice(0, file.lastIndexOf("/"));

/** Ours against DRF (and the baseline), the same scenarios, the same worker count, one run. */
function printVsDrf(report: BenchReport, drf: ServerRun, log: (line: string) => void): void {
  const ours = report.runs.find((r) => r.kind === "ours" && r.workers === drf.workers);
  const base = report.runs.find((r) => r.kind === "baseline" && r.workers === drf.workers);
  if (!ours) return;
  log("");
  log(`ours vs DRF (gunicorn sync workers, SQLite), WEB_CONCURRENCY=${drf.workers} both, same data size, same wrk`);
  const rows = [
    [
      "scenario",
      "ours req/s",
      "p50",
      "p99",
      "non-2xx",
      "DRF req/s",
      "p50",
      "p99",
      "non-2xx",
      "ours/DRF",
      "base req/s",
      "ours/base",
    ],
  ];
  for (const name of OPERATIONS) {
    const r = ours.scenarios[name];
    const d = drf.scenarios[name];
    if (!r || !d) continue;
    const b = base?.scenarios[name];
    rows.push([
      LABEL[name],
      num(r.rps),
      ms(r.p50),
      ms(r.p99),
      String(r.non2xx + r.socketErrors + r.graphqlErrors),
      num(d.rps),
      ms(d.p50),
      ms(d.p99),
      String(d.non2xx + d.socketErrors),
      ratio(r.rps, d.rps),
      num(b?.rps),
      ratio(r.rps, b?.rps),
    ]);
  }
  table(rows, log);
  const side = (label: string, run: ServerRun | undefined) =>
    run
      ? `${label} ${num(run.highWater.totalMB)} MB over ${run.highWater.processes} processes, ${num(run.highWater.maxProcessMB)} MB largest`
      : "";
  log(
    `peak RSS (VmHWM, sum and per process): ${[side("ours", ours), side("DRF", drf), side("baseline", base)].filter(Boolean).join("; ")}`,
  );
}
