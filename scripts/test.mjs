#!/usr/bin/env node
// The jest suite on one database, after `npm test`'s build and checks:
// SQLite by default (`npm test`), PostgreSQL with TEST_DATABASE=postgresql
// (`npm run test:pg`) at TEST_POSTGRES_URL (default
// postgresql://postgres@127.0.0.1:5432/test; the tests create and drop
// databases there), where a PostgreSQL that does not answer is a failure.
// Redis is probed at TEST_REDIS_URL (default redis://127.0.0.1:6379) for the
// tests of limits kept in Redis: they get its URL in TEST_REDIS_URL, or are
// skipped (on CI, CI=true, a missing Redis is a failure).
//
// The last line sums the run, skipped tests by reason: a skipped test's
// title, or one of its blocks', ends with "[skipped: why]"
// (test/support/providers.ts). TEST_TIMES=1 lists each file's duration first.
//
//   node scripts/test.mjs [jest args]
//   TEST_DATABASE=postgresql node scripts/test.mjs test/cluster
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Redis } from "ioredis";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const jest = join(root, "node_modules", "jest", "bin", "jest.js");
const pgUrl = process.env.TEST_POSTGRES_URL?.trim() || "postgresql://postgres@127.0.0.1:5432/test";
const onCi = ["true", "1"].includes((process.env.CI ?? "").toLowerCase());
const database = (process.env.TEST_DATABASE?.trim().toLowerCase() || "sqlite").startsWith("postgres")
  ? "postgresql"
  : "sqlite";
const args = process.argv.slice(2);
const redisUrl = process.env.TEST_REDIS_URL?.trim() || "redis://127.0.0.1:6379";

/** Null when PostgreSQL answers, else why not. */
async function probePostgres(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (e) {
    return e instanceof Error ? e.message || e.constructor.name : String(e);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Null when Redis answers PING, else why not. */
async function probeRedis(url) {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message || e.constructor.name : String(e);
  } finally {
    client.disconnect();
  }
}

/** "4m 05s" */
const minutes = (ms) => `${Math.floor(ms / 60_000)}m ${String(Math.round((ms % 60_000) / 1000)).padStart(2, "0")}s`;

/** Skipped tests by the reason their title, or a block's, ends with: [[reason, count], ...], most first. */
function skippedByReason(result) {
  const reasons = new Map();
  for (const file of result.testResults) {
    for (const test of file.assertionResults) {
      if (test.status !== "pending" && test.status !== "todo") continue;
      const marked = [test.title, ...test.ancestorTitles.toReversed()]
        .map((title) => /\[skipped: (.+)\]$/.exec(title)?.[1])
        .find((why) => why !== undefined);
      const why = marked ?? "no reason given";
      reasons.set(why, (reasons.get(why) ?? 0) + 1);
    }
  }
  return [...reasons].sort((a, b) => b[1] - a[1]);
}

let failed = false;
const redisProblem = await probeRedis(redisUrl);
const redisWhere = new URL(redisUrl).host || "localhost";
if (redisProblem !== null && onCi) {
  console.error(`\nRedis tests FAILED: no Redis answered at ${redisWhere} (${redisProblem}); CI=true requires it.`);
  failed = true;
}
if (database === "postgresql") {
  const problem = await probePostgres(pgUrl);
  if (problem !== null) {
    const where = new URL(pgUrl).host || "localhost"; // never the password
    console.error(
      `\nPostgreSQL run FAILED: no PostgreSQL answered at ${where} (${problem}); set TEST_POSTGRES_URL to one the tests may create databases on.`,
    );
    process.exit(1);
  }
}

const name = database === "sqlite" ? "SQLite" : "PostgreSQL";
console.log(`\n=== jest on ${name} (TEST_DATABASE=${database}) ===`);
const scratch = mkdtempSync(join(tmpdir(), "drf-token-graphql-jest-"));
const outputFile = join(scratch, "result.json");
const started = Date.now();
const run = spawnSync(process.execPath, [jest, "--json", `--outputFile=${outputFile}`, ...args], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, TEST_DATABASE: database, TEST_REDIS_URL: redisProblem === null ? redisUrl : "" },
});
const elapsed = Date.now() - started;
let result = null;
try {
  result = JSON.parse(readFileSync(outputFile, "utf8"));
} catch {
  // jest stopped before writing its report (a crash in global setup, say)
}
rmSync(scratch, { recursive: true, force: true });
if (run.status !== 0 || !result) failed = true;

if (result && process.env.TEST_TIMES) {
  console.log("\nSeconds per test file, slowest first:");
  const files = result.testResults
    .map((f) => [(f.endTime - f.startTime) / 1000, relative(root, f.name)])
    .sort((a, b) => b[0] - a[0]);
  for (const [s, file] of files) console.log(`${s.toFixed(1).padStart(7)}  ${file}`);
}

const passed = result?.numPassedTests ?? 0;
// A run that wrote no report counts as one failure.
const failures = (result?.numFailedTests ?? 0) + (result ? result.numRuntimeErrorTestSuites : 1);
const reasons = result ? skippedByReason(result) : [];
const skipped = reasons.reduce((n, [, count]) => n + count, 0);
const why = reasons.map(([reason, count]) => (reasons.length > 1 ? `${count} ${reason}` : reason)).join("; ");
console.log(
  `\n${name}: ${passed} passed, ${failures} failed, ${skipped} skipped${skipped ? ` (${why})` : ""} in ${minutes(elapsed)}`,
);
process.exit(failed ? 1 : 0);
