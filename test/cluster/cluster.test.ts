import { availableParallelism } from "node:os";
import { restartDelay, workerExecArgv } from "../../src/cluster";
import { freshDatabaseUrl, testDatabase } from "../support/databases";
import { RegisterDocument } from "../generated/graphql";
import {
  getStatus,
  postOnOwnConnection,
  procStrings,
  startProcess,
  workerPids,
  type ServerProcess,
} from "../support/processes";

// `npm start` as a deployment runs it: one process, or WEB_CONCURRENCY
// workers behind one port; SIGTERM drains either.

const PASSWORD = "a long enough passphrase 1";
// Real processes start slowly on a busy machine.
jest.setTimeout(180_000);

async function waitUntil<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe(`WEB_CONCURRENCY=2 (${testDatabase()})`, () => {
  let server: ServerProcess;
  afterAll(() => server?.stop("SIGKILL"));

  it("migrates once in the primary, serves from two workers, replaces a killed one, and exits 0 on SIGTERM", async () => {
    server = await startProcess({ DATABASE_URL: await freshDatabaseUrl(), WEB_CONCURRENCY: "2", LOG_LEVEL: "info" });
    expect(server.output().match(/"msg":"migrations: /g)).toHaveLength(1);
    expect(server.output()).toContain(`Workers: 2, sharing the port; primary pid ${server.pid}`);
    const first = await waitUntil(() => {
      const pids = new Set(workerPids(server.output()));
      return pids.size === 2 ? [...pids] : undefined;
    }, "two workers");
    expect(first).not.toContain(server.pid);
    // Two workers fill this machine's cores or not: V8's GC threads follow (on Node before 24).
    const singleThreadedGc = 2 >= availableParallelism() && Number(process.versions.node.split(".")[0]) < 24;
    for (const pid of first)
      expect(procStrings(pid, "cmdline").includes("--single-threaded-gc")).toBe(singleThreadedGc);
    expect(procStrings(server.pid, "cmdline").includes("--single-threaded-gc")).toBe(false);
    for (let i = 0; i < 6; i++) expect(await getStatus(`${server.url}/healthz`)).toBe(200);

    // A worker dies: the other keeps answering while the primary forks a new one.
    process.kill(first[0]!, "SIGKILL");
    // (A connection the primary hands to the worker in the instant it dies is
    // lost: node:cluster's round-robin cannot take it back. From the primary's
    // noticing on, every connection goes to a live worker.)
    await server.waitFor(/worker died; starting another/);
    const statuses: number[] = [];
    const fresh = await waitUntil(async () => {
      statuses.push(await getStatus(`${server.url}/healthz`));
      return workerPids(server.output()).find((pid) => !first.includes(pid));
    }, "a replacement worker");
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(fresh).not.toBe(first[0]);
    expect(procStrings(fresh, "cmdline").includes("--single-threaded-gc")).toBe(singleThreadedGc);
    expect(isAlive(first[1]!)).toBe(true);
    for (let i = 0; i < 6; i++) expect(await getStatus(`${server.url}/healthz`)).toBe(200);

    expect(await server.stop("SIGTERM")).toBe(0);
    expect([first[1], fresh].filter((pid) => isAlive(pid!))).toEqual([]);
  });
});

describe.each([1, 2])(`SIGTERM with requests in flight, WEB_CONCURRENCY=%i (${testDatabase()})`, (workers) => {
  let server: ServerProcess;
  afterAll(() => server?.stop("SIGKILL"));

  it("finishes them, then exits 0", async () => {
    server = await startProcess({
      DATABASE_URL: await freshDatabaseUrl(),
      WEB_CONCURRENCY: String(workers),
      MIGRATE_ON_START: "false",
    });
    // Each sign-up hashes a password (tens of ms on the thread pool), so the
    // others are still running when the first answer arrives.
    const requests = Array.from({ length: 6 }, (_, i) =>
      postOnOwnConnection(server.url, RegisterDocument, {
        input: { username: `drain${i}`, email: `drain${i}@example.com`, password: PASSWORD },
      }),
    );
    await Promise.race(requests);
    const exit = server.stop("SIGTERM");
    const answers = await Promise.all(requests);
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
    expect(answers.every((a) => /^[0-9a-f]{40}$/.test(a.body.data?.register.token ?? ""))).toBe(true);
    expect(await exit).toBe(0);
    await expect(getStatus(`${server.url}/healthz`)).rejects.toThrow();
  });
});

describe("restartDelay", () => {
  it("replaces a worker at once after a healthy run, and backs off on a crash loop up to 30 s", () => {
    expect([0, 1, 2, 3, 4].map(restartDelay)).toEqual([0, 500, 1000, 2000, 4000]);
    expect(restartDelay(50)).toBe(30_000);
  });
});

describe("workerExecArgv", () => {
  const primary = ["--max-semi-space-size=4", "--heap-growing-percent=20"];
  it("keeps the primary's flags, and on Node 20 and 22 runs V8's GC single-threaded once the workers fill the cores", () => {
    for (const node of [20, 22]) {
      expect(workerExecArgv(2, 2, primary, node)).toEqual([...primary, "--single-threaded-gc"]);
      expect(workerExecArgv(8, 4, primary, node)).toEqual([...primary, "--single-threaded-gc"]);
      expect(workerExecArgv(2, 4, primary, node)).toEqual(primary);
      expect(workerExecArgv(1, 1, [], node)).toEqual(["--single-threaded-gc"]);
    }
  });
  it("on Node 24 and later keeps V8's GC helper threads, where the flag costs throughput and memory", () => {
    for (const node of [24, 25]) {
      expect(workerExecArgv(2, 2, primary, node)).toEqual(primary);
      expect(workerExecArgv(8, 4, primary, node)).toEqual(primary);
    }
  });
  it("does not repeat a flag the operator already gave, nor change the primary's list", () => {
    const given = [...primary, "--single-threaded-gc"];
    expect(workerExecArgv(2, 2, given, 20)).toEqual(given);
    expect(workerExecArgv(2, 2, given, 24)).toEqual(given);
    const before = [...primary];
    workerExecArgv(2, 2, before, 20);
    expect(before).toEqual(primary);
  });
});
