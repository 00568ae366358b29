import { Command, InvalidArgumentError, Option } from "commander";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { drfOperation, startDrf } from "./drf";
import { measure, trickle } from "./load";
import { summarizeProfiles } from "./profile";
import { ROOT } from "./project";
import { printReport } from "./report";
import type { BenchOptions, BenchReport, ReadsWithLogins, ScenarioResult, ServerRun } from "./types";

export type { BenchOptions, BenchReport, ReadsWithLogins, ScenarioResult, ServerRun };
import { countRoundTrips } from "./round-trips";
import {
  OPERATIONS,
  READS,
  SCENARIOS,
  operation,
  type Operation,
  type OperationName,
  type ScenarioData,
  type ScenarioName,
} from "./scenarios";
import { seed } from "./seed";
import { type RunningServer, type ServerKind, startServer } from "./servers";

// `npm run bench`: seed, then drive our server and the bare baseline with the
// same requests, scenario by scenario; print the table, write the JSON.

export const DEFAULTS: BenchOptions = {
  db: "sqlite",
  workers: 1,
  duration: 10,
  warmup: 3,
  connections: 32,
  scenarios: [...SCENARIOS],
  baseline: true,
  compareWorkers: false,
  vsDrf: false,
  profile: false,
  loginRate: 10,
  students: 10_000,
  users: 1_000,
  out: join(ROOT, "bench", "results", "latest.json"),
  log: (line) => console.log(line),
};

export async function runBench(partial: Partial<BenchOptions> = {}): Promise<BenchReport> {
  const o: BenchOptions = { ...DEFAULTS, ...partial };
  const log = o.log;
  const runId = `${new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14)}_${process.pid}`;
  const seeded = await seed({ provider: o.db, students: o.students, users: o.users, runId, log });
  try {
    const data: ScenarioData = seeded;
    const ops = (names: readonly OperationName[], d: ScenarioData = data) => names.map((n) => operation(n, d));
    const wanted = new Set(o.scenarios);
    const opNames = OPERATIONS.filter((n) => wanted.has(n));
    const needed = [
      ...new Set<OperationName>([
        ...opNames,
        ...(wanted.has("readsWithLogins") ? (["students", "obtainToken"] as const) : []),
      ]),
    ];

    log("counting database round trips per request (in-process, one warm key)...");
    const roundTrips = await countRoundTrips(
      await seeded.copy("count"),
      ops(needed, { ...data, keys: data.keys.slice(0, 1) }),
    );

    const report: BenchReport = {
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? "unknown",
        memoryGB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
      },
      options: (({ log: _l, out: _o, ...rest }) => rest)(o),
      roundTrips,
      baselineAgrees: [],
      runs: [],
    };

    const kinds: Exclude<ServerKind, "drf">[] = o.baseline ? ["ours", "baseline"] : ["ours"];
    if (o.baseline) report.baselineAgrees = await checkSameAnswers(seeded, needed, data);
    if (o.vsDrf) report.runs.push(await runDrf(opNames, o));
    for (const kind of kinds) {
      report.runs.push(
        await runServer(kind, o.workers, opNames, wanted.has("readsWithLogins"), seeded, data, o, runId),
      );
    }
    if (o.compareWorkers) {
      const other = o.workers === 1 ? 2 : 1;
      const reads = READS.filter((n) => wanted.has(n));
      log(`comparing worker counts: reads with WEB_CONCURRENCY=${other}`);
      report.runs.push(
        await runServer(
          "ours",
          other,
          reads.length > 0 ? reads : [...READS],
          false,
          seeded,
          data,
          { ...o, profile: false },
          runId,
        ),
      );
    }

    printReport(report, log);
    if (o.out) {
      mkdirSync(dirname(o.out), { recursive: true });
      writeFileSync(o.out, JSON.stringify(report, null, 2) + "\n");
      log(`\nwrote ${o.out}`);
    }
    return report;
  } finally {
    await seeded.drop();
  }
}

/** DRF's SQLite stack: the same scenarios where it has them, the same load, the same wrk. */
async function runDrf(opNames: OperationName[], o: BenchOptions): Promise<ServerRun> {
  const server = await startDrf({ students: o.students, workers: o.workers, log: o.log });
  o.log(`drf (gunicorn, ${o.workers} sync worker(s), pid ${server.pid}) at ${server.url}`);
  const run: ServerRun = {
    kind: "drf",
    workers: o.workers,
    scenarios: {},
    highWater: { maxProcessMB: 0, totalMB: 0, processes: 0 },
  };
  try {
    for (const name of opNames) {
      const op = drfOperation(name, server);
      if (!op) continue;
      server.memory.reset();
      const result = await measure(server.url, op, {
        connections: o.connections,
        duration: o.duration,
        warmup: o.warmup,
      });
      run.scenarios[name] = { ...result, memory: server.memory.window() };
      o.log(`  ${name.padEnd(16)} ${result.rps.toFixed(0).padStart(6)} req/s  p99 ${result.p99} ms`);
    }
    run.highWater = server.memory.highWater();
  } finally {
    await server.stop();
  }
  return run;
}

async function runServer(
  kind: Exclude<ServerKind, "drf">,
  workers: number,
  opNames: OperationName[],
  readsWithLogins: boolean,
  seeded: Awaited<ReturnType<typeof seed>>,
  data: ScenarioData,
  o: BenchOptions,
  runId: string,
): Promise<ServerRun> {
  const profileDir = o.profile && kind === "ours" ? join(ROOT, "bench", "profiles", `${runId}-w${workers}`) : undefined;
  const server = await startServer({
    kind,
    databaseUrl: await seeded.copy(`${kind}_w${workers}`),
    workers,
    profileDir,
  });
  o.log(`${kind} (WEB_CONCURRENCY=${workers}, pid ${server.pid}) at ${server.url}`);
  const run: ServerRun = { kind, workers, scenarios: {}, highWater: { maxProcessMB: 0, totalMB: 0, processes: 0 } };
  const load = { connections: o.connections, duration: o.duration, warmup: o.warmup };
  const once = async (op: Operation): Promise<ScenarioResult> => {
    server.memory.reset();
    const result = await measure(server.url, op, load);
    return { ...result, memory: server.memory.window() };
  };
  try {
    for (const name of opNames) {
      const result = await once(operation(name, data));
      run.scenarios[name] = result;
      o.log(`  ${name.padEnd(16)} ${result.rps.toFixed(0).padStart(6)} req/s  p99 ${result.p99} ms`);
    }
    if (readsWithLogins) {
      const reads = operation("students", data);
      const alone = await once(reads);
      server.memory.reset();
      // Logins run through the reads' warm-up and measured window, at a steady rate.
      const [withLogins, logins] = await Promise.all([
        measure(server.url, reads, load),
        trickle(server.url, operation("obtainToken", data), {
          rate: o.loginRate,
          duration: o.warmup + o.duration + 0.5,
        }),
      ]);
      run.readsWithLogins = {
        alone,
        withLogins: { ...withLogins, memory: server.memory.window() },
        logins,
        p99Ratio: alone.p99 > 0 ? withLogins.p99 / alone.p99 : 0,
      };
      o.log(
        `  readsWithLogins  p99 ${alone.p99} ms alone, ${withLogins.p99} ms with ${logins.rps.toFixed(1)} logins/s`,
      );
    }
    run.highWater = server.memory.highWater();
  } finally {
    await server.stop();
  }
  if (profileDir) run.profile = summarizeProfiles(profileDir);
  return run;
}

/**
 * Before any load: both servers, on identical copies, must give the same
 * JSON for the read operations (and the same shape for the writes), or the
 * ratio would compare different work.
 */
async function checkSameAnswers(
  seeded: Awaited<ReturnType<typeof seed>>,
  names: OperationName[],
  data: ScenarioData,
): Promise<string[]> {
  const servers: RunningServer[] = [];
  const agreed: string[] = [];
  try {
    for (const kind of ["ours", "baseline"] as const) {
      servers.push(await startServer({ kind, databaseUrl: await seeded.copy(`check_${kind}`), workers: 1 }));
    }
    for (const name of names) {
      // Same key, id and user for both; writes differ in generated values only.
      const fixed = operation(name, {
        ...data,
        keys: data.keys.slice(0, 1),
        usernames: data.usernames.slice(-1),
      }).next();
      const answers: string[] = [];
      for (const server of servers) {
        const res = await fetch(`${server.url}/graphql`, { method: "POST", body: fixed.body, headers: fixed.headers });
        const text = await res.text();
        answers.push(
          `${res.status} ${res.status === 200 && (name === "createStudent" || name === "obtainToken") ? shape(text) : text}`,
        );
      }
      if (answers[0] !== answers[1]) {
        throw new Error(
          `bench: the baseline answers ${name} differently:\n  ours:     ${answers[0]}\n  baseline: ${answers[1]}`,
        );
      }
      agreed.push(name);
    }
  } finally {
    for (const server of servers) await server.stop();
  }
  return agreed;
}

/** The JSON with every string and number replaced by its type. */
function shape(text: string): string {
  return JSON.stringify(JSON.parse(text), (_k, v: unknown) =>
    typeof v === "string" || typeof v === "number" ? typeof v : v,
  );
}

// ---- command line ----

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("a whole number >= 1");
  return n;
};
const seconds = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("seconds >= 0");
  return n;
};
const scenarioList = (v: string): ScenarioName[] => {
  const names = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
  if (bad.length > 0 || names.length === 0) throw new InvalidArgumentError(`choose from ${SCENARIOS.join(", ")}`);
  return names as ScenarioName[];
};

export async function main(argv: string[]): Promise<void> {
  const program = new Command("bench")
    .description(
      "Seeds a database, drives our server, the bare baseline and (--vs-drf) the seed's DRF stack with wrk, prints and saves the results.",
    )
    .addOption(new Option("--db <provider>", "database").choices(["sqlite", "postgresql"]).default(DEFAULTS.db))
    .option("--workers <n>", "WEB_CONCURRENCY for both servers", positiveInt, DEFAULTS.workers)
    .option("--duration <s>", "measured seconds per scenario", seconds, DEFAULTS.duration)
    .option("--warmup <s>", "discarded seconds before each scenario", seconds, DEFAULTS.warmup)
    .option("--connections <n>", "concurrent connections", positiveInt, DEFAULTS.connections)
    .option("--scenarios <list>", `comma-separated, from ${SCENARIOS.join(",")}`, scenarioList, DEFAULTS.scenarios)
    .option("--compare-workers", "also run the reads with the other worker count (1 vs 2)", false)
    .option("--no-baseline", "skip the bare baseline server")
    .option(
      "--vs-drf",
      "also run the seed's DRF stack (../shared/anchors/drf, gunicorn, SQLite) first, same data size and workers",
      false,
    )
    .option("--profile", "run our server under node --cpu-prof (bench/profiles) and print the top frames", false)
    .option("--login-rate <n>", "logins per second in readsWithLogins", positiveInt, DEFAULTS.loginRate)
    .option("--students <n>", "students to seed", positiveInt, DEFAULTS.students)
    .option("--users <n>", "users (with one key each) to seed", positiveInt, DEFAULTS.users)
    .option("--out <file>", "where the JSON goes", DEFAULTS.out ?? undefined)
    .parse(argv);
  const opts = program.opts<Omit<BenchOptions, "log" | "out"> & { out: string }>();
  await runBench({ ...opts, out: resolve(opts.out) });
}

if (require.main === module) {
  main(process.argv).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
