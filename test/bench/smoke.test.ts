import { runBench } from "../../bench/bench";
import { median } from "../../bench/figures";
import { measure } from "../../bench/load";
import { operation } from "../../bench/scenarios";
import { seed } from "../../bench/seed";
import { startServer } from "../../bench/servers";
import { Scope } from "../../src/graphql/scopes";
import { describeSqlite } from "../support/providers";

// The bench end to end, tiny: one scenario for one second against both
// servers, twice (--runs 2). No speed is asserted, only that it runs,
// measures something and reports each run and their median. On SQLite only:
// the PostgreSQL run has its own (postgres.test.ts). Then --read-key both
// (each read with full keys, then keys limited to STUDENTS_READ), and a
// scoped key sent where its scope does not reach, which must count as
// failed answers, not as fast ones.

jest.setTimeout(180_000);

describeSqlite("the bench on SQLite", () => {
  it("runs a scenario against our server and the baseline, twice, and reports each run and the median", async () => {
    const lines: string[] = [];
    const report = await runBench({
      scenarios: ["student"],
      duration: 1,
      warmup: 0,
      connections: 4,
      students: 200,
      users: 20,
      runs: 2,
      out: null,
      log: (line) => lines.push(line),
    });

    expect(report.baselineAgrees).toEqual(["student"]);
    expect(report.roundTrips.student).toBeGreaterThan(0);
    expect(report.runs.map((r) => r.run)).toEqual([1, 2]);
    for (const run of report.runs) {
      expect(run.loadAverage).toHaveLength(3);
      expect(run.servers.map((s) => s.kind)).toEqual(["ours", "baseline"]);
      for (const server of run.servers) {
        const result = server.scenarios.student!;
        expect(result.requests).toBeGreaterThan(0);
        expect(result.rps).toBeGreaterThan(0);
        expect(result.p99).toBeGreaterThanOrEqual(result.p50);
        expect(result.non2xx).toBe(0);
        expect(result.socketErrors).toBe(0);
        expect(result.graphqlErrors).toBe(0);
        expect(server.highWater.maxProcessMB).toBeGreaterThan(0);
      }
      expect(run.figures.vsBaseline.student).toBeGreaterThan(0);
    }
    expect(report.servers.map((s) => s.kind)).toEqual(["ours", "baseline"]);
    expect(report.servers[0]!.scenarios.student!.rps).toBe(
      median(report.runs.map((r) => r.servers[0]!.scenarios.student!.rps)),
    );
    expect(report.figures.vsBaseline.student).toBe(median(report.runs.map((r) => r.figures.vsBaseline.student!)));
    // One worker and 4 connections are not the targets' conditions: figures, but no verdict.
    const reads = report.targets.find((t) => t.target.startsWith("student(id) >= 0.4 of the bare baseline"));
    expect(reads).toMatchObject({ verdict: "n/a", measured: expect.stringMatching(/WEB_CONCURRENCY=1, not 2/) });

    const out = lines.join("\n");
    expect(out).toMatch(/student\(id\)\s+\d+/);
    expect(out).toMatch(/^run 2 of 2: load average \d+\.\d\d/m);
    expect(out).toMatch(/^median\s/m);
    expect(out).toMatch(/^targets \(issue 22, SQLite/m);
  });

  it("with --read-key both, measures each read with full keys, then with keys limited to STUDENTS_READ", async () => {
    const lines: string[] = [];
    const report = await runBench({
      scenarios: ["me", "student"],
      readKey: "both",
      duration: 1,
      warmup: 0,
      connections: 4,
      students: 200,
      users: 20,
      out: null,
      log: (line) => lines.push(line),
    });

    expect(report.readKey).toBe("both");
    expect(report.baselineAgrees).toEqual(["me", "student", "student (scoped)"]);
    expect(report.roundTripsScoped?.student).toBeGreaterThan(0);
    const [ours, baseline] = report.runs[0]!.servers;
    expect(ours!.kind).toBe("ours");
    expect(Object.keys(ours!.scopedReads ?? {})).toEqual(["student"]);
    for (const result of [ours!.scenarios.me!, ours!.scenarios.student!, ours!.scopedReads!.student!]) {
      expect(result.requests).toBeGreaterThan(0);
      expect(result.non2xx + result.graphqlErrors + result.socketErrors).toBe(0);
    }
    expect(baseline!.scopedReads).toBeUndefined();
    expect(report.figures.scopedVsFull.student).toBeGreaterThan(0);

    const out = lines.join("\n");
    expect(out).toMatch(
      /^reads \(students\(limit: 20\), student\(id\)\) send full keys .* also keys limited to STUDENTS_READ/m,
    );
    expect(out).toMatch(/scoped keys checked: `me` refused \(403, requiredScopes ACCOUNT\)/);
    expect(out).toMatch(/^student\(id\), scoped\s+\d+/m);
    expect(out).toMatch(/^keys limited to STUDENTS_READ \/ full keys, req\/s: student\(id\) \d+\.\d\dx$/m);
  });

  it("counts a scoped key refused (403) as failed answers", async () => {
    const seeded = await seed({ provider: "sqlite", students: 10, users: 4, runId: `smoke_${process.pid}_refused` });
    try {
      const scoped = await seeded.mintKeys("refused", [Scope.STUDENTS_READ]);
      const server = await startServer({ kind: "ours", databaseUrl: await seeded.copy("ours"), workers: 1 });
      try {
        // `me` needs ACCOUNT: every answer is a 403.
        const result = await measure(server.url, operation("me", { ...seeded, keys: scoped, readKeys: [] }), {
          connections: 2,
          duration: 1,
          warmup: 0,
        });
        expect(result.requests).toBeGreaterThan(0);
        expect(result.non2xx).toBe(result.requests);
      } finally {
        await server.stop();
      }
    } finally {
      await seeded.drop();
    }
  });
});
