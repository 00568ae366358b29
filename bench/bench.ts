import { Command, InvalidArgumentError, Option } from "commander";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Client } from "pg";
import { checkInterrupted, cleanUpAfter, Interrupted, interrupted, undoAll } from "./cleanup";
import { type DrfStack, drfOperation, prepareDrf } from "./drf";
import { figuresOf, medianFigures, medianServers } from "./figures";
import { measure, trickle } from "./load";
import { type PgBouncer, POOL_MODE, POOL_SIZE, startPgBouncer } from "./pgbouncer";
import { describePostgres, postgresServerUrl } from "./postgres";
import { summarizeProfiles } from "./profile";
import { project, ROOT } from "./project";
import { printReport } from "./report";
import { evaluateTargets } from "./targets";
import type { BenchOptions, BenchReport, BenchRun, ReadsWithLogins, RunKind, ScenarioResult, ServerRun } from "./types";

export type { BenchOptions, BenchReport, ReadsWithLogins, ScenarioResult, ServerRun };
import { countRoundTrips } from "./round-trips";
import {
  OPERATIONS,
  READS,
  SCENARIOS,
  operation,
  READ_KEYS,
  type KeyKind,
  type Operation,
  type OperationName,
  type ScenarioData,
  type ScenarioName,
} from "./scenarios";
import { type Seeded, seed } from "./seed";
import { type RunningServer, startServer } from "./servers";

// `npm run bench`: seed, then drive the seed's DRF stack (--vs-drf), our
// server, ours through PgBouncer (--pgbouncer) and the bare baseline with the
// same requests, scenario by scenario, --runs times; print the table and the
// targets, write the JSON.

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
  pgbouncer: false,
  runs: 1,
  readKey: "full",
  profile: false,
  loginRate: 10,
  students: 10_000,
  users: 1_000,
  postgresSchemaFrom: null,
  out: join(ROOT, "bench", "results", "latest.json"),
  log: (line) => console.log(line),
};

/**
 * The keys the read scenarios send, chosen here only. "full": the seeded
 * keys, with every right of their users. "scoped": one more key per seeded
 * user, limited to STUDENTS_READ, minted into the seed as its own keys are
 * (digests only), so every copy holds both.
 */
async function readKeys(seeded: Seeded, kind: KeyKind): Promise<readonly string[]> {
  switch (kind) {
    case "full":
      return seeded.keys;
    case "scoped":
      return seeded.mintKeys("bench-students-read", [project.scopes().Scope.STUDENTS_READ]);
  }
}

export async function runBench(partial: Partial<BenchOptions> = {}): Promise<BenchReport> {
  const o: BenchOptions = { ...DEFAULTS, ...partial };
  if (o.pgbouncer && o.db !== "postgresql") throw new Error("bench: --pgbouncer needs --db postgresql");
  const log = o.log;
  // Unique over the machines that share a PostgreSQL server, and sortable.
  const runId = `${new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14)}_${process.pid}_${randomBytes(2).toString("hex")}`;
  const seeded = await seed({
    provider: o.db,
    students: o.students,
    users: o.users,
    runId,
    postgresSchemaFrom: o.postgresSchemaFrom,
    log,
  });
  let drf: DrfStack | null = null;
  let bouncer: PgBouncer | null = null;
  try {
    // `data` is what every scenario sends; with "both", `scoped` is what the reads send a second time.
    const full: ScenarioData = { ...seeded, readKeys: await readKeys(seeded, "full") };
    const scopedKeys: ScenarioData | null =
      o.readKey === "full" ? null : { ...seeded, readKeys: await readKeys(seeded, "scoped") };
    const data = o.readKey === "scoped" ? scopedKeys! : full;
    const scoped = o.readKey === "both" ? scopedKeys : null;
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
    const oneKey = (d: ScenarioData) => ({ ...d, keys: d.keys.slice(0, 1), readKeys: d.readKeys.slice(0, 1) });
    const roundTrips = await countRoundTrips(await seeded.copy("count"), ops(needed, oneKey(data)));
    const scopedNeeded = needed.filter((n) => READS.includes(n));
    const roundTripsScoped =
      scoped && scopedNeeded.length > 0
        ? await countRoundTrips(await seeded.copy("count_scoped"), ops(scopedNeeded, oneKey(scoped)))
        : undefined;

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
      ...(o.db === "postgresql" ? { postgres: await postgresInfo() } : {}),
      readKey: o.readKey,
      roundTrips,
      ...(roundTripsScoped ? { roundTripsScoped } : {}),
      baselineAgrees: [],
      runs: [],
      servers: [],
      figures: figuresOf([], o.workers),
      targets: [],
    };

    if (o.baseline) report.baselineAgrees = await checkSameAnswers(seeded, needed, data, scoped);
    if (o.vsDrf) drf = await prepareDrf({ db: o.db, students: o.students, workers: o.workers, runId, log });
    if (o.pgbouncer) {
      bouncer = await startPgBouncer(log);
      report.pgbouncer = { version: bouncer.version, poolMode: POOL_MODE, poolSize: POOL_SIZE };
    }
    const reads = READS.filter((n) => wanted.has(n));
    for (let i = 1; i <= o.runs; i++) {
      checkInterrupted();
      const loadAverage = loadavg() as [number, number, number];
      const run: BenchRun = {
        run: i,
        startedAt: new Date().toISOString(),
        loadAverage,
        servers: [],
        figures: report.figures,
      };
      log("");
      log(
        `run ${i} of ${o.runs}: load average ${loadAverage.map((l) => l.toFixed(2)).join(", ")} (1, 5, 15 min) on ${cpus().length} cores`,
      );
      const copy = (kind: string, workers: number) => seeded.copy(`${kind}_w${workers}_r${i}`);
      if (drf) run.servers.push(await runDrf(drf, opNames, o, `r${i}`));
      run.servers.push(
        await runServer(
          "ours",
          o.workers,
          opNames,
          wanted.has("readsWithLogins"),
          copy,
          data,
          o,
          `${runId}-r${i}`,
          // Which goes first alternates, so neither kind always meets the warmer server.
          scoped ? { data: scoped, first: i % 2 === 0 } : null,
        ),
      );
      if (bouncer) {
        run.servers.push(await runThroughPgBouncer(bouncer, reads.length > 0 ? reads : READS, copy, data, o));
      }
      if (o.baseline) {
        run.servers.push(
          await runServer("baseline", o.workers, opNames, wanted.has("readsWithLogins"), copy, data, o, runId),
        );
      }
      if (o.compareWorkers) {
        const other = o.workers === 1 ? 2 : 1;
        log(`comparing worker counts: reads with WEB_CONCURRENCY=${other}`);
        run.servers.push(
          await runServer(
            "ours",
            other,
            reads.length > 0 ? reads : [...READS],
            false,
            copy,
            data,
            { ...o, profile: false },
            runId,
          ),
        );
      }
      run.figures = figuresOf(run.servers, o.workers);
      report.runs.push(run);
    }
    report.servers = medianServers(report.runs);
    report.figures = medianFigures(report.runs);
    report.targets = evaluateTargets(report);

    printReport(report, log);
    if (o.out) {
      mkdirSync(dirname(o.out), { recursive: true });
      writeFileSync(o.out, JSON.stringify(report, null, 2) + "\n");
      log(`\nwrote ${o.out}`);
    }
    return report;
  } finally {
    await undoAll([() => seeded.drop(), () => drf?.dispose(), () => bouncer?.stop()], log);
  }
}

/** The server's address (never a password) and version. */
async function postgresInfo(): Promise<{ server: string; version: string }> {
  const url = postgresServerUrl();
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>("SHOW server_version");
    const where = describePostgres(url);
    return { server: where.slice(0, where.indexOf("/")), version: rows[0]?.server_version ?? "unknown" };
  } finally {
    await client.end();
  }
}

const emptyRun = (kind: RunKind, workers: number): ServerRun => ({
  kind,
  workers,
  scenarios: {},
  highWater: { maxProcessMB: 0, totalMB: 0, processes: 0 },
});

/** DRF: the same scenarios where it has them, the same load, the same wrk, on a fresh copy of its seed. */
async function runDrf(stack: DrfStack, opNames: OperationName[], o: BenchOptions, label: string): Promise<ServerRun> {
  const server = await stack.start(label);
  o.log(`drf (gunicorn, ${o.workers} sync worker(s), ${stack.database}, pid ${server.pid}) at ${server.url}`);
  const run = emptyRun("drf", o.workers);
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
      logScenario(o, name, result);
    }
    run.highWater = server.memory.highWater();
  } finally {
    await server.stop();
  }
  return run;
}

function logScenario(o: BenchOptions, name: string, r: ScenarioResult | Omit<ScenarioResult, "memory">): void {
  const failed = r.non2xx + r.graphqlErrors + r.socketErrors;
  o.log(
    `  ${name.padEnd(16)} ${r.rps.toFixed(0).padStart(6)} req/s  p99 ${r.p99} ms` +
      (failed > 0
        ? `  ${failed} FAILED answers (non-2xx ${r.non2xx}, GraphQL errors ${r.graphqlErrors}, socket ${r.socketErrors})`
        : ""),
  );
}

type Copy = (kind: string, workers: number) => Promise<string>;

async function runServer(
  kind: "ours" | "baseline",
  workers: number,
  opNames: readonly OperationName[],
  readsWithLogins: boolean,
  copy: Copy,
  data: ScenarioData,
  o: BenchOptions,
  profileId: string,
  scoped: ScopedPass | null = null,
): Promise<ServerRun> {
  const profileDir =
    o.profile && kind === "ours" ? join(ROOT, "bench", "profiles", `${profileId}-w${workers}`) : undefined;
  const server = await startServer({ kind, databaseUrl: await copy(kind, workers), workers, profileDir });
  o.log(`${kind} (WEB_CONCURRENCY=${workers}, pid ${server.pid}) at ${server.url}`);
  const run = await drive(server, kind, workers, opNames, readsWithLogins, data, o, scoped);
  if (profileDir) run.profile = summarizeProfiles(profileDir);
  return run;
}

/**
 * Our server with DATABASE_URL through PgBouncer (transaction mode) and
 * DIRECT_DATABASE_URL straight to PostgreSQL, for migrations. A server that
 * cannot start or answer that way is reported as failed, with its reason,
 * rather than stopping the bench.
 */
/** Debian's PgBouncer (1.18) has no max_prepared_statements: statements go unnamed (README, PostgreSQL). */
function withoutNamedStatements(url: string): string {
  const through = new URL(url);
  through.searchParams.set("pgbouncer", "true");
  return through.toString();
}

async function runThroughPgBouncer(
  bouncer: PgBouncer,
  reads: readonly OperationName[],
  copy: Copy,
  data: ScenarioData,
  o: BenchOptions,
): Promise<ServerRun> {
  const direct = await copy("pgbouncer", o.workers);
  let server: RunningServer;
  try {
    server = await startServer({
      kind: "ours",
      databaseUrl: withoutNamedStatements(bouncer.urlFor(new URL(direct).pathname.slice(1))),
      directDatabaseUrl: direct,
      workers: o.workers,
    });
  } catch (e) {
    if (e instanceof Interrupted) throw e;
    const failure = `our server did not start through PgBouncer: ${e instanceof Error ? e.message : String(e)}`;
    o.log(`ours through PgBouncer FAILED: ${failure}`);
    return { ...emptyRun("pgbouncer", o.workers), failure };
  }
  o.log(`ours through PgBouncer (WEB_CONCURRENCY=${o.workers}, pid ${server.pid}) at ${server.url}`);
  return drive(server, "pgbouncer", o.workers, reads, false, data, o);
}

/** readKey "both": the reads' keys limited to STUDENTS_READ, and whether they go before the full keys. */
interface ScopedPass {
  data: ScenarioData;
  first: boolean;
}

/**
 * Drives a started server through the scenarios (and readsWithLogins), then
 * stops it; with `scoped`, each read twice, back to back: full keys and
 * scoped keys.
 */
async function drive(
  server: RunningServer,
  kind: RunKind,
  workers: number,
  opNames: readonly OperationName[],
  readsWithLogins: boolean,
  data: ScenarioData,
  o: BenchOptions,
  scoped: ScopedPass | null = null,
): Promise<ServerRun> {
  const run = emptyRun(kind, workers);
  const load = { connections: o.connections, duration: o.duration, warmup: o.warmup };
  const once = async (op: Operation): Promise<ScenarioResult> => {
    server.memory.reset();
    const result = await measure(server.url, op, load);
    return { ...result, memory: server.memory.window() };
  };
  try {
    // The baseline does not check scopes: nothing to show there.
    if (kind !== "baseline" && o.readKey !== "full")
      await checkScopedKeys(server.url, (scoped?.data ?? data).readKeys, o);
    const withScopedKeys = async (name: OperationName) => {
      const result = await once(operation(name, scoped!.data));
      (run.scopedReads ??= {})[name] = result;
      logScenario(o, `${name}, scoped`, result);
    };
    for (const name of opNames) {
      const twice = scoped !== null && READS.includes(name);
      if (twice && scoped.first) await withScopedKeys(name);
      const result = await once(operation(name, data));
      run.scenarios[name] = result;
      logScenario(o, name, result);
      if (twice && !scoped.first) await withScopedKeys(name);
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
  return run;
}

/**
 * Before any load: both servers, on identical copies, must give the same
 * JSON for the read operations (and the same shape for the writes), or the
 * ratio would compare different work.
 */
async function checkSameAnswers(
  seeded: Seeded,
  names: OperationName[],
  data: ScenarioData,
  scoped: ScenarioData | null,
): Promise<string[]> {
  const servers: RunningServer[] = [];
  const agreed: string[] = [];
  try {
    for (const kind of ["ours", "baseline"] as const) {
      servers.push(await startServer({ kind, databaseUrl: await seeded.copy(`check_${kind}`), workers: 1 }));
    }
    const checks: [string, OperationName, ScenarioData][] = [
      ...names.map((n): [string, OperationName, ScenarioData] => [n, n, data]),
      ...(scoped
        ? names
            .filter((n) => READS.includes(n))
            .map((n): [string, OperationName, ScenarioData] => [`${n} (scoped)`, n, scoped])
        : []),
    ];
    for (const [label, name, d] of checks) {
      // Same key, id and user for both; writes differ in generated values only.
      const fixed = operation(name, {
        ...d,
        keys: d.keys.slice(0, 1),
        readKeys: d.readKeys.slice(0, 1),
        usernames: d.usernames.slice(-1),
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
          `bench: the baseline answers ${label} differently:\n  ours:     ${answers[0]}\n  baseline: ${answers[1]}`,
        );
      }
      agreed.push(label);
    }
  } finally {
    for (const server of servers) await server.stop();
  }
  return agreed;
}

/**
 * Before a server's load with scoped keys: one of them must be refused `me`
 * (403, requiredScopes ACCOUNT), or they are not limited to STUDENTS_READ
 * and the "scoped" rows would measure full keys. Their reads are checked by
 * the load itself: a refused read counts as a failed answer there.
 */
async function checkScopedKeys(url: string, keys: readonly string[], o: BenchOptions): Promise<void> {
  const me = operation("me", {
    keys: keys.slice(0, 1),
    readKeys: [],
    usernames: [],
    password: "",
    studentIds: { min: 1, max: 1 },
  }).next();
  const res = await fetch(`${url}/graphql`, { method: "POST", body: me.body, headers: me.headers });
  const text = await res.text();
  const required = (() => {
    try {
      return (JSON.parse(text) as { errors?: { extensions?: { requiredScopes?: unknown } }[] }).errors?.[0]?.extensions
        ?.requiredScopes;
    } catch {
      return undefined;
    }
  })();
  if (res.status !== 403 || JSON.stringify(required) !== '["ACCOUNT"]')
    throw new Error(
      `bench: a key limited to STUDENTS_READ was not refused \`me\` (403, requiredScopes ACCOUNT): ${res.status} ${text.slice(0, 300)}`,
    );
  o.log("  scoped keys checked: `me` refused (403, requiredScopes ACCOUNT), as STUDENTS_READ does not cover it");
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
      "also run the seed's DRF stack (../shared/anchors/drf, gunicorn sync workers) first, on the same database kind, data size and workers",
      false,
    )
    .option(
      "--pgbouncer",
      "with --db postgresql: also run our reads through a PgBouncer of the bench's own (transaction mode)",
      false,
    )
    .addOption(
      new Option(
        "--read-key <kind>",
        "keys the reads (students, student) send: full (all the user's rights), scoped (limited to STUDENTS_READ), or both (each read with full keys and again with scoped ones, back to back on our server, which goes first alternating from run to run); other scenarios send full keys",
      )
        .choices(READ_KEYS)
        .default(DEFAULTS.readKey),
    )
    .option("--runs <n>", "run everything n times; figures and targets use the median", positiveInt, DEFAULTS.runs)
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
  // Interrupted: stop what the bench started and drop what it created, then exit.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      console.error(`\nbench: ${signal}: stopping the servers and removing the bench's databases and files...`);
      void cleanUpAfter(signal, (line) => console.error(line)).finally(() =>
        process.exit(signal === "SIGINT" ? 130 : 143),
      );
    });
  }
  main(process.argv).catch((e: unknown) => {
    // After a signal, whatever failed did so because the cleanup stopped it: the handler exits when done.
    if (e instanceof Interrupted || interrupted()) return;
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
