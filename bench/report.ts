import { WRK } from "./load";
import { failedAnswers } from "./figures";
import { KEY_KINDS, LABELS as LABEL, OPERATIONS, READS } from "./scenarios";
import { offConditions, TARGETS } from "./targets";
import type { BenchReport, ScenarioResult, ServerRun } from "./types";

// The printed report: the tables (the median of the runs when there are
// several), each run's figures with its load average, the targets with
// PASS/MISS (bench/targets.ts), the profile.

const DATABASE = { sqlite: "SQLite", postgresql: "PostgreSQL" } as const;

const num = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? "-" : n.toFixed(digits));
const ms = (n: number | undefined) =>
  n === undefined ? "-" : !Number.isFinite(n) ? "no answer" : n < 10 ? n.toFixed(2) : n.toFixed(1);

/** One scenario's row of the per-worker-count table: ours, the baseline's figures beside it, round trips. */
const scenarioRow = (label: string, x: ScenarioResult, b: ScenarioResult | undefined, trips: number | undefined) => [
  label,
  num(x.rps),
  ms(x.p50),
  ms(x.p99),
  String(x.non2xx + x.socketErrors),
  String(x.graphqlErrors),
  num(x.memory.maxProcessMB),
  num(b?.rps),
  ms(b?.p99),
  b && b.rps > 0 ? `${(x.rps / b.rps).toFixed(2)}` : "-",
  num(trips, 1),
];

function table(rows: string[][], log: (line: string) => void): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  rows.forEach((r, j) => {
    log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "));
    if (j === 0) log(widths.map((w) => "-".repeat(w)).join("  "));
  });
}

export function printReport(report: BenchReport, log: (line: string) => void): void {
  const o = report.options;
  const m = report.machine;
  const db = DATABASE[o.db];
  log("");
  log(`bench ${report.date}: ${m.cpus} x ${m.cpuModel}, ${m.memoryGB} GB, Node ${m.node}, ${m.platform}`);
  log(
    `database ${db}` +
      (report.postgres ? ` ${report.postgres.version} at ${report.postgres.server}` : "") +
      `; ${o.connections} connections; ${o.warmup} s warm-up + ${o.duration} s per scenario; ` +
      `seed ${o.students} students, ${o.users} users; wrk (${WRK}), 2 threads, on the same cores as the servers`,
  );
  if (report.pgbouncer)
    log(
      `PgBouncer: ${report.pgbouncer.version}, pool_mode ${report.pgbouncer.poolMode}, default_pool_size ${report.pgbouncer.poolSize}`,
    );
  log(readKeysLine(report));
  log(
    `baseline answers the same JSON: ${report.baselineAgrees.length > 0 ? report.baselineAgrees.join(", ") : "not checked"}`,
  );
  const loads = report.runs.map((r) => r.loadAverage[0].toFixed(2)).join(", ");
  log(
    report.runs.length > 1
      ? `${report.runs.length} runs (load average over 1 min at the start of each: ${loads}); ` +
          "the tables give each figure's median over the runs, failed answers summed, memory at its peak"
      : `one run (load average over 1 min at its start: ${loads})`,
  );

  const servers = report.servers;
  for (const run of servers.filter((r) => r.kind === "ours")) {
    const base = servers.find((r) => r.kind === "baseline" && r.workers === run.workers);
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
      // Full keys against the baseline; scoped keys (when run) on their own.
      rows.push(scenarioRow(LABEL[name], r, base?.scenarios[name], report.roundTrips[name]));
      const sc = run.scopedReads?.[name];
      if (sc) rows.push(scenarioRow(`${LABEL[name]}, scoped`, sc, undefined, report.roundTripsScoped?.[name]));
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
    const scoped = READS.filter((n) => run.scopedReads?.[n]);
    if (scoped.length > 0) {
      log(
        `keys limited to STUDENTS_READ / full keys, req/s: ` +
          scoped
            .map((n) => {
              const failed = failedAnswers(run.scopedReads![n]!) + failedAnswers(run.scenarios[n]!);
              const ratio = report.figures.scopedVsFull[n];
              return `${LABEL[n]} ${failed > 0 ? `no ratio, ${failed} failed answers` : `${num(ratio, 2)}x`}`;
            })
            .join(", "),
      );
    }
    if (s) {
      log(
        `logins never stall reads: students p99 ${ms(s.alone.p99)} ms alone, ${ms(s.withLogins.p99)} ms with ` +
          `${s.logins.rps.toFixed(1)} logins/s (login p99 ${ms(s.logins.p99)} ms): ${s.p99Ratio.toFixed(2)}x` +
          (stallOf(base) ? `; baseline ${stallOf(base)}` : ""),
      );
    }
  }

  const bouncer = servers.find((r) => r.kind === "pgbouncer");
  if (bouncer) printPgBouncer(report, bouncer, log);
  const drf = servers.find((r) => r.kind === "drf");
  if (drf) printVsDrf(report, drf, log);
  printRuns(report, log);

  log("");
  const c = TARGETS.conditions;
  log(
    `targets (issue ${TARGETS.issue}, ${db}; set for WEB_CONCURRENCY=${c.workers}, ${c.connections} connections, ` +
      `the median of ${c.runs} runs; this: ${report.runs.length} run(s)${offConditions(o) ? `, ${offConditions(o)}` : ""}):`,
  );
  const width = Math.max(...report.targets.map((t) => t.target.length));
  for (const t of report.targets) log(`  ${t.verdict.padEnd(4)}  ${t.target.padEnd(width)}  ${t.measured}`);
  const verdicts = report.targets.map((t) => t.verdict);
  log(
    `  ${verdicts.filter((v) => v === "PASS").length} PASS, ${verdicts.filter((v) => v === "MISS").length} MISS, ` +
      `${verdicts.filter((v) => v === "n/a").length} n/a`,
  );

  for (const run of servers.filter((r) => r.profile)) {
    const p = run.profile!;
    log("");
    log(
      `CPU profile, ours, WEB_CONCURRENCY=${run.workers}: ${p.busyMs} ms busy, ${p.idleMs} ms idle, ${p.files.length} file(s) in ${dirnameOf(p.files[0]!)}`,
    );
    table(
      [["self ms", "%", "frame"], ...p.top.map((f) => [String(f.selfMs), f.percent.toFixed(1), f.frame])].map(
        ([a, b2, c2]) => [c2!, a!, b2!],
      ),
      log,
    );
  }
}

/** Which keys were sent where. */
function readKeysLine(report: BenchReport): string {
  const o = report.options;
  const reads = `reads (${READS.map((n) => LABEL[n]).join(", ")}${o.scenarios.includes("readsWithLogins") ? ", and readsWithLogins' students" : ""})`;
  const others = "me and createStudent send full keys (STUDENTS_READ does not cover them)";
  switch (report.readKey) {
    case "full":
      return `reads send ${KEY_KINDS.full}`;
    case "scoped":
      return `${reads} send ${KEY_KINDS.scoped}, everywhere (the baseline does not check scopes); ${others}`;
    case "both":
      return (
        `reads (${READS.map((n) => LABEL[n]).join(", ")}) send ${KEY_KINDS.full}, and on our server at ` +
        `WEB_CONCURRENCY=${o.workers} also ${KEY_KINDS.scoped} (rows ", scoped"), back to back with the same read ` +
        `(${report.runs.length > 1 ? "full keys first in odd runs, scoped in even ones" : "full keys first"}); everything else sends full keys`
      );
  }
}

function stallOf(base: ServerRun | undefined): string {
  const s = base?.readsWithLogins;
  return s ? `${ms(s.alone.p99)} -> ${ms(s.withLogins.p99)} ms (${s.p99Ratio.toFixed(2)}x)` : "";
}

const dirnameOf = (file: string) => file.slice(0, file.lastIndexOf("/"));

/** Ours against DRF (and the baseline), the same scenarios, the same worker count, one run. */
function printVsDrf(report: BenchReport, drf: ServerRun, log: (line: string) => void): void {
  const ours = report.servers.find((r) => r.kind === "ours" && r.workers === drf.workers);
  const base = report.servers.find((r) => r.kind === "baseline" && r.workers === drf.workers);
  if (!ours) return;
  log("");
  log(
    `ours vs DRF (gunicorn sync workers, ${DATABASE[report.options.db]}${report.options.db === "postgresql" ? ", CONN_MAX_AGE 60" : ""}), ` +
      `WEB_CONCURRENCY=${drf.workers} both, same data size, same wrk`,
  );
  const rows = [
    [
      "scenario",
      "ours req/s",
      "p50",
      "p99",
      "failed",
      "DRF req/s",
      "p50",
      "p99",
      "failed",
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
      // The median of the runs' ratios (bench/figures.ts), not the ratio of the medians.
      num(report.figures.vsDrf[name], 2),
      num(b?.rps),
      num(report.figures.vsBaseline[name], 2),
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

/** Our reads through PgBouncer against the same reads direct, same worker count. */
function printPgBouncer(report: BenchReport, bouncer: ServerRun, log: (line: string) => void): void {
  const direct = report.servers.find((r) => r.kind === "ours" && r.workers === bouncer.workers);
  log("");
  log(`ours through PgBouncer (transaction mode) vs direct, WEB_CONCURRENCY=${bouncer.workers}`);
  if (bouncer.failure) log(`  FAILED: ${bouncer.failure}`);
  const rows = [["scenario", "direct req/s", "p99", "PgBouncer req/s", "p99", "failed", "PgBouncer/direct"]];
  for (const name of READS) {
    const r = bouncer.scenarios[name];
    if (!r) continue;
    const d = direct?.scenarios[name];
    rows.push([
      LABEL[name],
      num(d?.rps),
      ms(d?.p99),
      num(r.rps),
      ms(r.p99),
      String(r.non2xx + r.socketErrors + r.graphqlErrors),
      num(report.figures.pgbouncerVsDirect[name], 2),
    ]);
  }
  if (rows.length > 1) table(rows, log);
}

/** One line per run: its load average and the figures the targets judge, then their median. */
function printRuns(report: BenchReport, log: (line: string) => void): void {
  const o = report.options;
  const held = TARGETS.held.filter((n) => report.figures.p99[n] !== undefined);
  const reads = READS.filter((n) => report.figures.vsBaseline[n] !== undefined);
  const bounced = READS.filter((n) => report.figures.pgbouncerVsDirect[n] !== undefined);
  const scoped = o.readKey === "both" ? READS.filter((n) => o.scenarios.includes(n)) : [];
  const short = { students: "students", student: "student", createStudent: "create" } as Record<string, string>;
  const header = [
    "run",
    "started (UTC)",
    "load 1m",
    ...(o.vsDrf ? held.map((n) => `${short[n] ?? n}/DRF`) : []),
    ...held.map((n) => `${short[n] ?? n} p99`),
    ...reads.map((n) => `${short[n] ?? n}/base`),
    ...bounced.map((n) => `${short[n] ?? n} PgB/direct`),
    ...scoped.map((n) => `${short[n] ?? n} scoped/full`),
    "RSS MB",
  ];
  const row = (label: string, started: string, load: string, f: BenchReport["figures"]) => [
    label,
    started,
    load,
    ...(o.vsDrf ? held.map((n) => num(f.vsDrf[n], 2)) : []),
    ...held.map((n) => ms(f.p99[n])),
    ...reads.map((n) => num(f.vsBaseline[n], 2)),
    ...bounced.map((n) => num(f.pgbouncerVsDirect[n], 2)),
    ...scoped.map((n) => num(f.scopedVsFull[n], 2)),
    num(f.rssPerWorkerMB ?? undefined),
  ];
  log("");
  log(`each run (ratios of req/s; p99 in ms; RSS: largest process of ours)`);
  table(
    [
      header,
      ...report.runs.map((r) => row(String(r.run), r.startedAt.slice(11, 19), r.loadAverage[0].toFixed(2), r.figures)),
      ...(report.runs.length > 1 ? [row("median", "", "", report.figures)] : []),
    ],
    log,
  );
}
