import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkInterrupted, untilCleanedUp } from "./cleanup";
import { ROOT } from "./project";
import type { Operation } from "./scenarios";

// One bounded wrk run against one server (ours, the baseline or DRF): the
// same load generator for all, in its own process, written in C, so it takes
// far less of the 2 cores than a Node load generator did.

export const WRK = process.env.WRK ?? "/usr/bin/wrk";
const SCRIPT = join(ROOT, "bench", "wrk", "requests.lua");

export interface LoadResult {
  /** Responses received, any status. */
  requests: number;
  seconds: number;
  rps: number;
  /** Latency percentiles, ms. */
  p50: number;
  p99: number;
  non2xx: number;
  /** 2xx answers whose body carries GraphQL errors (e.g. a duplicate roll). */
  graphqlErrors: number;
  /** Connection errors and timeouts. */
  socketErrors: number;
}

export interface LoadOptions {
  connections: number;
  /** Seconds. */
  duration: number;
  /** wrk threads (never more than connections). */
  threads?: number;
}

/** Distinct requests written for wrk to cycle through (random keys, ids, users). */
const DISTINCT = 2000;
// Each wrk run gets its own block of rolls, so warm-up and measured runs on
// one database never collide (GraphQL's Int is 32-bit: stay below 2^31).
let rollBlock = 0;

export async function drive(baseUrl: string, op: Operation, opts: LoadOptions): Promise<LoadResult> {
  const threads = Math.min(opts.threads ?? 2, opts.connections);
  const dir = mkdtempSync(join(tmpdir(), "bench-wrk-"));
  const file = join(dir, "requests.tsv");
  const lines: string[] = [];
  for (let i = 0; i < DISTINCT; i++) {
    const r = op.template ? op.template() : op.next();
    const auth = r.headers.authorization ?? r.headers.Authorization ?? "";
    if (/[\t\n]/.test(r.body + auth)) throw new Error("bench: a request holds a tab or a newline");
    lines.push([r.method ?? "POST", r.path ?? "/graphql", auth, r.body].join("\t"));
  }
  writeFileSync(file, lines.join("\n") + "\n");
  const rollBase = 1_100_000_000 + 2_000_000 * rollBlock++;
  try {
    const args = [
      "-t",
      String(threads),
      "-c",
      String(opts.connections),
      "-d",
      `${Math.max(1, Math.round(opts.duration))}s`,
    ];
    args.push("--timeout", "10s", "--latency", "-s", SCRIPT, baseUrl);
    const output = await run(WRK, args, {
      REQUESTS_FILE: file,
      ROLL_BASE: String(rollBase),
      WRK_THREADS: String(threads),
      CHECK_GRAPHQL_ERRORS: (r0(op).path ?? "/graphql") === "/graphql" ? "1" : "0",
    });
    const line = /^RESULT (.*)$/m.exec(output)?.[1];
    if (!line) throw new Error(`bench: wrk printed no result:\n${output.slice(-2000)}`);
    const r = JSON.parse(line) as {
      requests: number;
      micros: number;
      p50: number;
      p99: number;
      non2xx: number;
      graphqlErrors: number;
      socketErrors: number;
    };
    const seconds = r.micros / 1e6;
    return {
      requests: r.requests,
      seconds,
      rps: seconds > 0 ? r.requests / seconds : 0,
      p50: r.p50,
      p99: r.p99,
      non2xx: r.non2xx,
      graphqlErrors: r.graphqlErrors,
      socketErrors: r.socketErrors,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const r0 = (op: Operation) => (op.template ? op.template() : op.next());

function run(cmd: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    checkInterrupted(); // then spawn and register in one step: no signal can come between
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const stop = untilCleanedUp(`stop wrk (pid ${child.pid})`, () => void child.kill("SIGKILL"));
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", (e) => reject(new Error(`bench: cannot run ${cmd} (Debian package wrk): ${e.message}`)));
    child.on("close", (code) => {
      void stop();
      if (code === 0) resolve(out);
      else reject(new Error(`bench: wrk exited with ${code}:\n${out.slice(-2000)}`));
    });
  });
}

/** Warm-up (discarded), then the measured run. */
export async function measure(
  baseUrl: string,
  op: Operation,
  opts: LoadOptions & { warmup: number },
): Promise<LoadResult> {
  if (opts.warmup > 0) await drive(baseUrl, op, { ...opts, duration: opts.warmup });
  return drive(baseUrl, op, opts);
}

/**
 * A steady trickle (logins during reads): `rate` requests a second from this
 * process, at most `concurrency` at once. Costs next to nothing at ~10/s.
 */
export async function trickle(
  baseUrl: string,
  op: Operation,
  opts: { rate: number; duration: number; concurrency?: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  let non2xx = 0;
  let graphqlErrors = 0;
  let socketErrors = 0;
  let inFlight = 0;
  const started = Date.now();
  const end = started + opts.duration * 1000;
  const pending: Promise<void>[] = [];
  for (let i = 0; Date.now() < end; i++) {
    const due = started + (i * 1000) / opts.rate;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    if (Date.now() >= end) break;
    if (inFlight >= (opts.concurrency ?? 4)) continue; // behind: skip rather than pile up
    inFlight++;
    const r = op.next();
    const t0 = performance.now();
    pending.push(
      fetch(`${baseUrl}${r.path ?? "/graphql"}`, { method: r.method ?? "POST", body: r.body, headers: r.headers })
        .then(async (res) => {
          const text = await res.text();
          latencies.push(performance.now() - t0);
          if (res.status < 200 || res.status > 299) non2xx++;
          else if (text.includes('"errors"')) graphqlErrors++;
        })
        .catch(() => void socketErrors++)
        .finally(() => void inFlight--),
    );
  }
  await Promise.all(pending);
  const seconds = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  return {
    requests: latencies.length + socketErrors,
    seconds,
    rps: latencies.length / seconds,
    p50: pct(50),
    p99: pct(99),
    non2xx,
    graphqlErrors,
    socketErrors,
  };
}
