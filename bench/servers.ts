import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { checkInterrupted, untilCleanedUp } from "./cleanup";
import { ROOT } from "./project";

// The servers under test, each a child process tree on 127.0.0.1, and the
// memory of every process in that tree (cluster workers included).

export type ServerKind = "ours" | "baseline" | "drf";

export interface StartOptions {
  /** DRF starts from its own scripts (bench/drf.ts). */
  kind: Exclude<ServerKind, "drf">;
  databaseUrl: string;
  /**
   * DIRECT_DATABASE_URL: where migrations go when DATABASE_URL points at a
   * PgBouncer in transaction mode (the server's own setting; a server that
   * does not know it yet ignores it).
   */
  directDatabaseUrl?: string;
  workers: number;
  /** Directory for `node --cpu-prof` output (ours only). */
  profileDir?: string;
}

export interface RunningServer {
  kind: ServerKind;
  pid: number;
  url: string;
  memory: MemorySampler;
  stop(): Promise<void>;
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    LOG_LEVEL: "warn",
    HOST: "127.0.0.1",
    PORT: String(port),
    DATABASE_URL: opts.databaseUrl,
    ...(opts.directDatabaseUrl ? { DIRECT_DATABASE_URL: opts.directDatabaseUrl } : {}),
    WEB_CONCURRENCY: String(opts.workers),
    // Far above what the login scenario sends: the bench measures logins, not the throttle
    // (nor the bound on successful logins, nor the cap on keys one user holds).
    LOGIN_RATE: "1000000/min",
    LOGIN_SUCCESS_RATE: "1000000/min",
    TOKEN_LIMIT_PER_USER: "1000000",
  };
  // For experiments with V8's flags (workers inherit NODE_OPTIONS).
  if (opts.kind === "ours" && process.env.BENCH_NODE_OPTIONS) env.NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS;
  // Memory experiments (glibc's allocator, libuv's pool) reach both servers alike.
  for (const name of ["MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "UV_THREADPOOL_SIZE"]) {
    if (process.env[name]) env[name] = process.env[name];
  }
  // Metrics on (METRICS=bearer METRICS_TOKEN=...), to measure what counting costs.
  if (opts.kind === "ours")
    for (const name of ["METRICS", "METRICS_TOKEN"]) if (process.env[name]) env[name] = process.env[name];
  // Shared counters for cluster mode, when the caller has Redis.
  if (process.env.REDIS_URL) env.REDIS_URL = process.env.REDIS_URL;
  // Our server runs with the environment and Node flags of `npm start`
  // (package.json), so the bench measures what is deployed; the cluster's
  // workers inherit both.
  const start = opts.kind === "ours" ? startCommand() : { env: {}, flags: [] };
  Object.assign(env, start.env);
  const args: string[] = [...start.flags];
  if (opts.profileDir) {
    mkdirSync(opts.profileDir, { recursive: true });
    args.push("--cpu-prof", `--cpu-prof-dir=${opts.profileDir}`);
  }
  args.push(opts.kind === "ours" ? join(ROOT, "dist", "main.js") : join(ROOT, "bench", "baseline-server.mjs"));
  checkInterrupted(); // then spawn and register in one step: no signal can come between
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stopChild = untilCleanedUp(`stop ${opts.kind} (pid ${child.pid})`, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  });
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, child, () => output);
  } catch (e) {
    child.kill("SIGKILL");
    await stopChild();
    throw e;
  }
  const memory = new MemorySampler(child.pid!);
  return {
    kind: opts.kind,
    pid: child.pid!,
    url,
    memory,
    async stop() {
      memory.stop();
      await stopChild();
    },
  };
}

/**
 * How package.json's start script runs node: the environment it sets (each
 * `NAME=${NAME:-default}` before `exec`: the caller's value, else the default)
 * and the flags between `node` and `dist/main.js`.
 */
export function startCommand(env: NodeJS.ProcessEnv = process.env): { env: Record<string, string>; flags: string[] } {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const script = pkg.scripts.start ?? "";
  const m = /(?:^|&& )((?:\w+=\S+\s+)*)exec node((?:\s+--[\w-]+(?:=\S+)?)*)\s+dist\/main\.js$/.exec(script);
  if (!m)
    throw new Error(
      `bench: package.json's start script does not end "[NAME=value ...] exec node [--flags] dist/main.js": ${script}`,
    );
  const vars: Record<string, string> = {};
  for (const assignment of m[1]!.trim().split(/\s+/).filter(Boolean)) {
    const [, name, value] = /^(\w+)=(.*)$/.exec(assignment)!;
    const fallback = /^\$\{(\w+):-(.*)\}$/.exec(value!);
    if (fallback && fallback[1] !== name) throw new Error(`bench: start script: ${assignment} reads another variable`);
    vars[name!] = fallback ? env[name!] || fallback[2]! : value!;
  }
  return { env: vars, flags: m[2]!.trim().split(/\s+/).filter(Boolean) };
}

async function waitReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 120_000; // generous: a busy machine starts slowly
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${url} not ready after 120 s:\n${output()}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

// ---- memory, from /proc ----

export interface MemoryPeak {
  /** Largest resident set of any one process of the tree, MB. */
  maxProcessMB: number;
  /** Largest sum over the tree at one sample, MB. */
  totalMB: number;
  processes: number;
}

const kB = (status: string, field: string): number =>
  Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);

/** The root and all its descendants (cluster workers), from /proc/<pid>/stat. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // the process ended meanwhile
    }
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

function readStatus(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return { rss: kB(status, "VmRSS"), hwm: kB(status, "VmHWM") };
  } catch {
    return null;
  }
}

/**
 * Samples VmRSS of the tree every 200 ms. window() gives the peak since the
 * last reset (one scenario); highWater() the kernel's VmHWM, the peak of each
 * process since it started.
 */
export class MemorySampler {
  private timer: NodeJS.Timeout;
  private peak: MemoryPeak = { maxProcessMB: 0, totalMB: 0, processes: 0 };

  constructor(private readonly root: number) {
    this.timer = setInterval(() => this.sample(), 200);
    this.timer.unref();
    this.sample();
  }

  private sample(): void {
    let total = 0;
    let max = 0;
    let count = 0;
    for (const pid of processTree(this.root)) {
      const s = readStatus(pid);
      if (!s) continue;
      total += s.rss;
      max = Math.max(max, s.rss);
      count++;
    }
    this.peak = {
      maxProcessMB: Math.max(this.peak.maxProcessMB, max / 1024),
      totalMB: Math.max(this.peak.totalMB, total / 1024),
      processes: Math.max(this.peak.processes, count),
    };
  }

  reset(): void {
    this.peak = { maxProcessMB: 0, totalMB: 0, processes: 0 };
    this.sample();
  }

  window(): MemoryPeak {
    this.sample();
    return { ...this.peak };
  }

  highWater(): MemoryPeak {
    const hwm = processTree(this.root)
      .map(readStatus)
      .filter((s): s is { rss: number; hwm: number } => s !== null)
      .map((s) => s.hwm / 1024);
    return { maxProcessMB: Math.max(0, ...hwm), totalMB: hwm.reduce((a, b) => a + b, 0), processes: hwm.length };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
