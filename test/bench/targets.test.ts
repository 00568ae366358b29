import { DEFAULTS } from "../../bench/bench";
import { figuresOf, median, medianFigures, medianServers } from "../../bench/figures";
import { evaluateTargets, TARGETS } from "../../bench/targets";
import type { BenchOptions, BenchReport, BenchRun, RunKind, ScenarioResult, ServerRun } from "../../bench/types";
import type { OperationName } from "../../bench/scenarios";

// The bookkeeping behind PASS and MISS, on figures made up for the purpose:
// the median over runs, ratios side by side within a run, the targets'
// conditions, and failed answers never passing for speed.

type Figures = Partial<Record<OperationName, { rps: number; p99?: number; failed?: number }>>;

function result(rps: number, p99 = 10, failed = 0): ScenarioResult {
  return {
    requests: Math.round(rps * 10),
    seconds: 10,
    rps,
    p50: p99 / 2,
    p99,
    non2xx: failed,
    graphqlErrors: 0,
    socketErrors: 0,
    memory: { maxProcessMB: 100, totalMB: 250, processes: 3 },
  };
}

function server(kind: RunKind, figures: Figures, opts: { workers?: number; rssMB?: number; failure?: string } = {}) {
  const run: ServerRun = {
    kind,
    workers: opts.workers ?? 2,
    scenarios: {},
    highWater: { maxProcessMB: opts.rssMB ?? 120, totalMB: 300, processes: 3 },
    ...(opts.failure ? { failure: opts.failure } : {}),
  };
  for (const [name, f] of Object.entries(figures) as [OperationName, NonNullable<Figures[OperationName]>][])
    run.scenarios[name] = result(f.rps, f.p99, f.failed);
  return run;
}

function report(options: Partial<BenchOptions>, runs: ServerRun[][]): BenchReport {
  const o = { ...DEFAULTS, workers: 2, ...options };
  const benchRuns: BenchRun[] = runs.map((servers, i) => ({
    run: i + 1,
    startedAt: new Date(0).toISOString(),
    loadAverage: [0.5, 0.5, 0.5],
    servers,
    figures: figuresOf(servers, o.workers),
  }));
  const r: BenchReport = {
    date: new Date(0).toISOString(),
    machine: { cpus: 2, cpuModel: "test", memoryGB: 1, node: process.version, platform: "test" },
    options: (({ log: _l, out: _o, ...rest }) => rest)(o),
    readKey: "full",
    roundTrips: {},
    baselineAgrees: [],
    runs: benchRuns,
    servers: medianServers(benchRuns),
    figures: medianFigures(benchRuns),
    targets: [],
  };
  r.targets = evaluateTargets(r);
  return r;
}

const verdict = (r: BenchReport, target: string) => {
  const line = r.targets.find((t) => t.target === target);
  if (!line) throw new Error(`no target "${target}" in:\n${r.targets.map((t) => t.target).join("\n")}`);
  return line;
};

const held = { students: { rps: 0 }, student: { rps: 0 }, createStudent: { rps: 0 } };
const scaled = (k: number, p99 = 10): Figures =>
  Object.fromEntries(Object.keys(held).map((n) => [n, { rps: 100 * k, p99 }]));

it("takes the median of an odd and an even number of values", () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 3, 2])).toBe(2.5);
  expect(median([])).toBeNaN();
});

it("judges the median of the runs' own ratios, and shows each run's", () => {
  // Run 2 is slow for both sides alike (a busy machine): its ratio is still 10x.
  const r = report({ vsDrf: true }, [
    [server("drf", scaled(1)), server("ours", scaled(9))],
    [server("drf", scaled(0.5)), server("ours", scaled(5))],
    [server("drf", scaled(1)), server("ours", scaled(11))],
  ]);
  expect(r.figures.vsDrf.students).toBeCloseTo(10);
  expect(verdict(r, "students(limit: 20) >= 10x DRF on SQLite")).toEqual({
    target: "students(limit: 20) >= 10x DRF on SQLite",
    measured: "10.00x (runs: 9.00x, 10.00x, 11.00x)",
    verdict: "PASS",
  });
  // The ratio of the medians (900 / 100 = 9x) would have missed.
  expect(r.servers.find((s) => s.kind === "ours")!.scenarios.students!.rps).toBe(900);
});

it("gives each SQLite target PASS or MISS at the targets' conditions", () => {
  const r = report({ vsDrf: true, db: "sqlite" }, [
    [
      server("drf", scaled(1)),
      server("ours", { ...scaled(12, 25), student: { rps: 1200, p99: 15 } }, { rssMB: 151 }),
      server("baseline", { students: { rps: 3000 }, student: { rps: 2000 }, createStudent: { rps: 1500 } }),
    ],
  ]);
  expect(verdict(r, "createStudent >= 10x DRF on SQLite").verdict).toBe("PASS");
  expect(verdict(r, "student(id) p99 <= 20 ms").verdict).toBe("PASS");
  expect(verdict(r, "students(limit: 20) p99 <= 20 ms")).toMatchObject({ verdict: "MISS", measured: "25.0 ms" });
  // 1200 / 3000 = 0.4: on the line passes; 1200 / 2000 = 0.6.
  expect(verdict(r, "students(limit: 20) >= 0.4 of the bare baseline").verdict).toBe("PASS");
  expect(verdict(r, "peak RSS per worker <= 150 MB (largest process of ours, VmHWM)")).toMatchObject({
    verdict: "MISS",
    measured: "151 MB",
  });
});

it("uses PostgreSQL's own targets there, and PgBouncer's", () => {
  const r = report({ vsDrf: true, db: "postgresql", pgbouncer: true }, [
    [
      server("drf", scaled(1)),
      server("ours", scaled(5, 30)),
      server("pgbouncer", { students: { rps: 449 }, student: { rps: 451 } }),
      server("baseline", scaled(20)),
    ],
  ]);
  expect(verdict(r, "student(id) >= 5x DRF on PostgreSQL").verdict).toBe("PASS");
  expect(verdict(r, "student(id) p99 <= 30 ms").verdict).toBe("PASS");
  expect(verdict(r, "students(limit: 20) through PgBouncer >= 0.9 of direct")).toMatchObject({
    verdict: "MISS",
    measured: "0.898",
  });
  expect(r.figures.pgbouncerVsDirect.students).toBeCloseTo(0.898);
  expect(verdict(r, "student(id) through PgBouncer >= 0.9 of direct").verdict).toBe("PASS");
  expect(r.targets.some((t) => /bare baseline|RSS/.test(t.target))).toBe(false);
});

it("never passes failed answers for speed", () => {
  const r = report({ vsDrf: true, db: "postgresql", pgbouncer: true }, [
    [
      server("drf", { ...scaled(1), student: { rps: 100, failed: 3 } }),
      server("ours", { ...scaled(50), createStudent: { rps: 5000, failed: 7 } }),
      server("pgbouncer", {}, { failure: "our server did not start through PgBouncer: P1002" }),
    ],
  ]);
  expect(verdict(r, "createStudent >= 5x DRF on PostgreSQL")).toMatchObject({
    verdict: "MISS",
    measured: expect.stringMatching(/7 failed answers of ours/),
  });
  expect(verdict(r, "student(id) >= 5x DRF on PostgreSQL")).toMatchObject({
    verdict: "n/a",
    measured: expect.stringMatching(/DRF gave 3 failed answers/),
  });
  expect(verdict(r, "student(id) through PgBouncer >= 0.9 of direct")).toEqual({
    target: "student(id) through PgBouncer >= 0.9 of direct",
    measured: "failed: our server did not start through PgBouncer: P1002",
    verdict: "MISS",
  });
});

it("misses p99 and the baseline ratio on failed answers of ours, however fast (a refused key answers fast)", () => {
  const r = report({ db: "sqlite" }, [
    [
      server("ours", { ...scaled(50, 2), student: { rps: 9000, p99: 1, failed: 12 } }),
      server("baseline", { students: { rps: 3000 }, student: { rps: 3000 } }),
    ],
  ]);
  expect(verdict(r, "student(id) p99 <= 20 ms")).toMatchObject({
    verdict: "MISS",
    measured: "1.00 ms, but 12 failed answers of ours",
  });
  expect(verdict(r, "student(id) >= 0.4 of the bare baseline")).toMatchObject({
    verdict: "MISS",
    measured: "3.00, but 12 failed answers of ours",
  });
  expect(verdict(r, "students(limit: 20) p99 <= 20 ms").verdict).toBe("PASS");
});

it("gives scoped keys' reads as a ratio to full keys' per run, and none where either side failed", () => {
  const ours = (scopedStudents: number, failed = 0): ServerRun => ({
    ...server("ours", { students: { rps: 1000 }, student: { rps: 2000 } }),
    scopedReads: { students: result(scopedStudents), student: result(1900, 10, failed) },
  });
  const r = report({ readKey: "both" }, [[ours(900)], [ours(950, 4)], [ours(1000)]]);
  expect(r.runs.map((run) => run.figures.scopedVsFull)).toEqual([
    { students: 0.9, student: 0.95 },
    { students: 0.95 },
    { students: 1, student: 0.95 },
  ]);
  expect(r.figures.scopedVsFull).toEqual({ students: 0.95, student: 0.95 });
  const median = r.servers.find((s) => s.kind === "ours")!;
  expect(median.scopedReads!.students!.rps).toBe(950);
  expect(median.scopedReads!.student!.non2xx).toBe(4);
});

it("gives n/a, with the figures, away from the targets' conditions or without the comparison", () => {
  const r = report({ vsDrf: false, workers: 1, connections: 4 }, [
    [server("ours", scaled(10), { workers: 1 }), server("baseline", scaled(20), { workers: 1 })],
  ]);
  expect(verdict(r, "students(limit: 20) >= 10x DRF on SQLite")).toMatchObject({
    verdict: "n/a",
    measured: "needs --vs-drf",
  });
  expect(verdict(r, "student(id) p99 <= 20 ms")).toEqual({
    target: "student(id) p99 <= 20 ms",
    measured: `10.0 ms [measured at WEB_CONCURRENCY=1, not ${TARGETS.conditions.workers}, 4 connections, not 32]`,
    verdict: "n/a",
  });
  expect(r.targets.every((t) => t.verdict === "n/a")).toBe(true);
});

it("counts a run where nothing answered as infinitely slow, not 0 ms", () => {
  const silent = server("ours", scaled(1));
  silent.scenarios.student = { ...result(0, 0), requests: 0 };
  const r = report({}, [[silent]]);
  expect(r.figures.p99.student).toBe(Infinity);
  expect(verdict(r, "student(id) p99 <= 20 ms")).toMatchObject({ verdict: "MISS", measured: "no answer" });
});
