import { runBench } from "../../bench/bench";
import { benchDatabasesLeft, PG_TEMPLATE_ENV } from "../support/databases";
import { describePostgres } from "../support/providers";
import { itWithTools } from "../support/system-tool";

// `--db postgresql --vs-drf --pgbouncer`, tiny: the seed's DRF stack on
// PostgreSQL (Django's backend, psycopg2), our server direct and through the
// bench's own PgBouncer, the baseline, one scenario for one second each. No
// speed is asserted: that every side answers, that the report carries the
// PostgreSQL targets, and that the bench leaves no database behind.

jest.setTimeout(240_000);

const itWithDrfAndPgBouncer = itWithTools([
  ["/usr/lib/python3/dist-packages/django", "python3-django"],
  ["/usr/lib/python3/dist-packages/rest_framework", "python3-djangorestframework"],
  ["/usr/lib/python3/dist-packages/psycopg2", "python3-psycopg2"],
  ["/usr/lib/python3/dist-packages/gunicorn", "python3-gunicorn"],
  ["/usr/sbin/pgbouncer", "pgbouncer"],
  ["/usr/bin/wrk", "wrk"],
]);

describePostgres("the bench on PostgreSQL", () => {
  itWithDrfAndPgBouncer(
    "runs DRF on PostgreSQL, ours direct and through PgBouncer side by side, and drops its databases",
    async () => {
      const lines: string[] = [];
      const report = await runBench({
        db: "postgresql",
        vsDrf: true,
        pgbouncer: true,
        scenarios: ["student"],
        duration: 1,
        warmup: 0,
        connections: 4,
        students: 200,
        users: 20,
        // The suite's migrated template: the bench then skips ~15 s of migrations.
        postgresSchemaFrom: process.env[PG_TEMPLATE_ENV] ?? null,
        out: null,
        log: (line) => lines.push(line),
      });

      expect(report.postgres?.version).toMatch(/^\d+/);
      expect(report.pgbouncer).toMatchObject({
        version: expect.stringMatching(/^PgBouncer \d/),
        poolMode: "transaction",
      });
      expect(report.runs).toHaveLength(1);
      expect(report.runs[0]!.servers.map((s) => s.kind)).toEqual(["drf", "ours", "pgbouncer", "baseline"]);
      for (const server of report.runs[0]!.servers) {
        expect(server.failure).toBeUndefined();
        const result = server.scenarios.student!;
        expect(result.requests).toBeGreaterThan(0);
        expect(result.non2xx + result.graphqlErrors + result.socketErrors).toBe(0);
        expect(server.highWater.maxProcessMB).toBeGreaterThan(0);
      }
      expect(report.figures.vsDrf.student).toBeGreaterThan(0);
      expect(report.figures.pgbouncerVsDirect.student).toBeGreaterThan(0);
      const targets = report.targets.map((t) => t.target);
      expect(targets).toContain("student(id) >= 5x DRF on PostgreSQL");
      expect(targets).toContain("student(id) p99 <= 30 ms");
      expect(targets).toContain("student(id) through PgBouncer >= 0.9 of direct");
      expect(lines.join("\n")).toMatch(/ours vs DRF \(gunicorn sync workers, PostgreSQL, CONN_MAX_AGE 60\)/);

      expect(await benchDatabasesLeft(lines)).toEqual([]);
    },
  );
});
