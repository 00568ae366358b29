import { runBench } from "../../bench/bench";

// The bench end to end, tiny: one scenario for one second against both
// servers. No speed is asserted, only that it runs and measures something.

jest.setTimeout(180_000);

it("runs a scenario against our server and the baseline and reports numbers", async () => {
  const lines: string[] = [];
  const report = await runBench({
    scenarios: ["student"],
    duration: 1,
    warmup: 0,
    connections: 4,
    students: 200,
    users: 20,
    out: null,
    log: (line) => lines.push(line),
  });

  expect(report.baselineAgrees).toEqual(["student"]);
  expect(report.roundTrips.student).toBeGreaterThan(0);
  expect(report.runs.map((r) => r.kind)).toEqual(["ours", "baseline"]);
  for (const run of report.runs) {
    const result = run.scenarios.student!;
    expect(result.requests).toBeGreaterThan(0);
    expect(result.rps).toBeGreaterThan(0);
    expect(result.p99).toBeGreaterThanOrEqual(result.p50);
    expect(result.non2xx).toBe(0);
    expect(result.socketErrors).toBe(0);
    expect(result.graphqlErrors).toBe(0);
    expect(run.highWater.maxProcessMB).toBeGreaterThan(0);
  }
  expect(lines.join("\n")).toMatch(/student\(id\)\s+\d+/);
});
