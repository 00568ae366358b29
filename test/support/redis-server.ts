import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

// A real redis-server (Debian's package) of a test's own, on a free port,
// saving nothing, in a temporary folder: a test may freeze it (SIGSTOP, the
// process stays and its connections stay open, but nothing answers) and
// resume it (SIGCONT), which a shared Redis could not allow. Tests that use
// it are declared with `itWithTool(REDIS_SERVER, "redis-server")`
// (test/support/system-tool.ts).

export const REDIS_SERVER = "/usr/bin/redis-server";

/** Bounds on waits for a program this harness does not control. */
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export interface RedisServer {
  url: string;
  pid: number;
  /** SIGSTOP: connections stay open, nothing is answered. */
  freeze(): void;
  /** SIGCONT: answers again, the commands sent meanwhile first. */
  resume(): void;
  /** Stops the process (SIGTERM, then SIGKILL) and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
  /** What redis-server printed so far, for a failing test's message. */
  log(): string;
}

const running = new Set<ChildProcess>();
// A failing test must not leave a redis-server behind (SIGKILL also ends a frozen one).
afterAll(() => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts redis-server on a free port; rejects, with its output, if it is not ready in time. */
export async function startRedisServer(): Promise<RedisServer> {
  // Another program may take the free port before redis-server binds it: try again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(await freePort());
    } catch (e) {
      if (attempt >= 3 || !/Address already in use/.test((e as Error).message)) throw e;
    }
  }
}

async function startOnce(port: number): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "redis-"));
  const child = spawn(
    REDIS_SERVER,
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--daemonize",
      "no",
      "--loglevel",
      "notice",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  running.add(child);
  let log = "";
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    log += d.toString();
    for (const l of listeners) l();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      running.delete(child);
      for (const l of listeners) l();
      resolve();
    }),
  );
  const gone = () => child.exitCode !== null || child.signalCode !== null;

  const stop = async () => {
    if (!gone()) {
      child.kill("SIGCONT"); // a frozen process handles SIGTERM only once it runs again
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (/Ready to accept connections/.test(log)) return done(resolve);
      if (gone()) done(() => reject(new Error(`redis-server exited at start:\n${log}`)));
    };
    const timer = setTimeout(
      () => done(() => reject(new Error(`redis-server was not ready within ${START_TIMEOUT_MS} ms:\n${log}`))),
      START_TIMEOUT_MS,
    );
    const done = (settle: () => void) => {
      clearTimeout(timer);
      listeners.delete(check);
      settle();
    };
    listeners.add(check);
    check();
  }).catch(async (e: unknown) => {
    await stop();
    throw e;
  });

  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid!,
    freeze: () => child.kill("SIGSTOP"),
    resume: () => child.kill("SIGCONT"),
    stop,
    log: () => log,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
