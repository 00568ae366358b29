import { existsSync } from "node:fs";
import { benchDatabasesLeft, PG_TEMPLATE_ENV } from "../support/databases";
import { describePostgres } from "../support/providers";
import { itWithTools } from "../support/system-tool";

// Whatever way the bench ends, it leaves nothing behind: no database on the
// shared PostgreSQL server, no server, gunicorn or PgBouncer process, no
// temporary folder. Each test loads the bench afresh (jest.isolateModules):
// an interruption is final for the module that saw it.

jest.setTimeout(240_000);

type Bench = typeof import("../../bench/bench");
type Cleanup = typeof import("../../bench/cleanup");

function freshBench(): { bench: Bench; cleanup: Cleanup } {
  let loaded!: { bench: Bench; cleanup: Cleanup };
  jest.isolateModules(() => {
    loaded = {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- isolateModules loads a fresh copy synchronously
      bench: require("../../bench/bench") as Bench,
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the same fresh module registry as the bench's
      cleanup: require("../../bench/cleanup") as Cleanup,
    };
  });
  return loaded;
}

const itWithDrfAndPgBouncer = itWithTools([
  ["/usr/lib/python3/dist-packages/django", "python3-django"],
  ["/usr/lib/python3/dist-packages/psycopg2", "python3-psycopg2"],
  ["/usr/lib/python3/dist-packages/gunicorn", "python3-gunicorn"],
  ["/usr/sbin/pgbouncer", "pgbouncer"],
  ["/usr/bin/wrk", "wrk"],
]);

const options = {
  db: "postgresql",
  vsDrf: true,
  pgbouncer: true,
  // No baseline: its answer check would start two more servers before anything this tests.
  baseline: false,
  scenarios: ["student"],
  duration: 1,
  warmup: 0,
  connections: 4,
  students: 100,
  users: 5,
  postgresSchemaFrom: process.env[PG_TEMPLATE_ENV] ?? null,
  out: null,
} as const;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describePostgres("the bench cleans up", () => {
  itWithDrfAndPgBouncer("on an interruption mid-run: gunicorn, PgBouncer, every database and folder goes", async () => {
    const { bench, cleanup } = freshBench();
    const lines: string[] = [];
    const signal: { cleaned?: Promise<void> } = {};
    const run = bench.runBench({
      ...options,
      scenarios: [...options.scenarios],
      log: (line) => {
        lines.push(line);
        // What the signal handler of `npm run bench` does on SIGINT, while DRF's gunicorn is up.
        if (/^drf \(gunicorn, /.test(line)) signal.cleaned ??= cleanup.cleanUpAfter("SIGINT", (l) => lines.push(l));
      },
    });
    await expect(run).rejects.toThrow();
    expect(signal.cleaned).toBeDefined();
    await signal.cleaned;

    const pids = lines.flatMap((l) => [...l.matchAll(/\bpid (\d+)/g)].map((m) => Number(m[1])));
    const folders = lines.flatMap((l) => [...l.matchAll(/ in (\/\S+)/g)].map((m) => m[1]!));
    // DRF's gunicorn and PgBouncer were running; ours never started.
    expect(lines.join("\n")).toMatch(/^drf \(gunicorn, .* pid \d+\)/m);
    expect(lines.join("\n")).toMatch(/^PgBouncer .* pid \d+$/m);
    expect(lines.join("\n")).not.toMatch(/^ours /m);
    expect(pids.filter(alive)).toEqual([]);
    expect(folders.length).toBeGreaterThan(0);
    expect(folders.filter((f) => existsSync(f))).toEqual([]);
    expect(await benchDatabasesLeft(lines)).toEqual([]);
    expect(cleanup.pendingCleanups()).toEqual([]);
  });

  itWithDrfAndPgBouncer("on a failure after seeding: the databases go", async () => {
    const { bench, cleanup } = freshBench();
    const lines: string[] = [];
    const anchor = process.env.DRF_ANCHOR;
    process.env.DRF_ANCHOR = "/nonexistent/anchors/drf";
    try {
      await expect(
        bench.runBench({ ...options, scenarios: [...options.scenarios], log: (line) => lines.push(line) }),
      ).rejects.toThrow(/nonexistent/);
    } finally {
      if (anchor === undefined) delete process.env.DRF_ANCHOR;
      else process.env.DRF_ANCHOR = anchor;
    }
    expect(await benchDatabasesLeft(lines)).toEqual([]);
    expect(cleanup.pendingCleanups()).toEqual([]);
  });
});
