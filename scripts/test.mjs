#!/usr/bin/env node
// `npm test` after the build: the whole jest suite on SQLite, then again on
// PostgreSQL when one answers at TEST_POSTGRES_URL (default
// postgresql://postgres@127.0.0.1:5432/test; the tests create and drop
// databases there). Without PostgreSQL the second run is skipped with one
// line, except on CI (CI=true), where that is a failure. Redis is probed the
// same way (TEST_REDIS_URL, default redis://127.0.0.1:6379) for the tests of
// limits kept in Redis; they get its URL in TEST_REDIS_URL, or are skipped.
//
//   node scripts/test.mjs [jest args]           both runs
//   TEST_DATABASE=postgresql node scripts/test.mjs test/cluster   one run
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Redis } from "ioredis";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const jest = join(root, "node_modules", "jest", "bin", "jest.js");
const pgUrl = process.env.TEST_POSTGRES_URL?.trim() || "postgresql://postgres@127.0.0.1:5432/test";
const onCi = ["true", "1"].includes((process.env.CI ?? "").toLowerCase());
const only = process.env.TEST_DATABASE?.trim().toLowerCase();
const databases = only ? [only.startsWith("postgres") ? "postgresql" : "sqlite"] : ["sqlite", "postgresql"];
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

const runs = [];
let failed = false;
const redisProblem = await probeRedis(redisUrl);
const redisWhere = new URL(redisUrl).host || "localhost";
if (redisProblem !== null) {
  if (onCi) {
    console.error(`\nRedis tests FAILED: no Redis answered at ${redisWhere} (${redisProblem}); CI=true requires it.`);
    failed = true;
  } else {
    console.log(
      `\nRedis tests skipped: no Redis answered at ${redisWhere} (${redisProblem}); set TEST_REDIS_URL to run them.`,
    );
  }
}
const scratch = mkdtempSync(join(tmpdir(), "drf-token-graphql-jest-"));
for (const database of databases) {
  if (database === "postgresql") {
    const problem = await probePostgres(pgUrl);
    const where = new URL(pgUrl).host || "localhost"; // never the password
    if (problem !== null) {
      if (onCi) {
        console.error(`\nPostgreSQL run FAILED: no PostgreSQL answered at ${where} (${problem}); CI=true requires it.`);
        failed = true;
      } else {
        console.log(
          `\nPostgreSQL run skipped: no PostgreSQL answered at ${where} (${problem}); set TEST_POSTGRES_URL to run it.`,
        );
      }
      continue;
    }
  }
  console.log(`\n=== jest on ${database === "sqlite" ? "SQLite" : "PostgreSQL"} (TEST_DATABASE=${database}) ===`);
  const outputFile = join(scratch, `${database}.json`);
  const run = spawnSync(process.execPath, [jest, "--json", `--outputFile=${outputFile}`, ...args], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, TEST_DATABASE: database, TEST_REDIS_URL: redisProblem === null ? redisUrl : "" },
  });
  let result = null;
  try {
    result = JSON.parse(readFileSync(outputFile, "utf8"));
  } catch {
    // jest stopped before writing its report (a crash in global setup, say)
  }
  if (run.status !== 0 || !result) failed = true;
  runs.push({
    database,
    status: run.status,
    passed: result?.numPassedTests ?? 0,
    failed: result?.numFailedTests ?? 0,
    skipped: (result?.numPendingTests ?? 0) + (result?.numTodoTests ?? 0),
    // A run that wrote no report counts as one failure.
    failedSuites: result ? result.numRuntimeErrorTestSuites : 1,
  });
}
rmSync(scratch, { recursive: true, force: true });

const total = { passed: 0, failed: 0, skipped: 0 };
console.log("");
for (const r of runs) {
  const suites = r.failedSuites > 0 ? `, ${r.failedSuites} test files did not run` : "";
  console.log(
    `${r.database}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${suites} (jest exit ${r.status})`,
  );
  total.passed += r.passed;
  total.failed += r.failed + r.failedSuites;
  total.skipped += r.skipped;
}
console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(failed ? 1 : 0);
