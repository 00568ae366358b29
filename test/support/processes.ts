import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { source } from "./server";

// Real server processes (`node dist/main.js`, as `npm start` runs it) for the
// tests about several processes. `npm test` builds dist/ first.

const ROOT = join(__dirname, "..", "..");
const MAIN = join(ROOT, "dist", "main.js");
const MANAGE = join(ROOT, "dist", "manage", "manage.js");

export interface ServerProcess extends LaunchedProcess {
  /** http://127.0.0.1:<port> */
  url: string;
}

/** A `node dist/main.js` not yet known to serve: for tests that watch its start or its failure. */
export interface LaunchedProcess {
  pid: number;
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when `pattern` appears in the output (checked on every chunk). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Exit code once exited, for a test that waits itself. */
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();
// A failing test must not leave servers behind.
afterAll(() => {
  for (const child of running) child.kill("SIGKILL");
});

function baseEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "warn",
    REDIS_URL: "",
    WEB_CONCURRENCY: "1",
    ...env,
  };
}

/** Starts `node dist/main.js` and waits for its "Serving GraphQL at" line. */
export async function startProcess(env: Record<string, string>): Promise<ServerProcess> {
  const launched = launchProcess(env);
  const serving = await launched.waitFor(/Serving GraphQL at (http:\/\/[^\s]+)\/graphql/);
  return { ...launched, url: serving[1]! };
}

/** Starts `node dist/main.js` without waiting for anything. */
export function launchProcess(env: Record<string, string>): LaunchedProcess {
  if (!existsSync(MAIN)) throw new Error("dist/main.js is missing: run `npm run build` (npm test does)");
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: baseEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let text = "";
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    text += d.toString();
    for (const l of listeners) l();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      running.delete(child);
      for (const l of listeners) l();
      resolve(code);
    }),
  );

  // Generous: a start with migrations takes seconds, more on a busy machine.
  const waitFor = (pattern: RegExp, timeoutMs = 120_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(text);
        if (match) return done(() => resolve(match));
        if (child.exitCode !== null || child.signalCode !== null) {
          done(() => reject(new Error(`process exited before printing ${pattern}:\n${text}`)));
        }
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${text}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });

  return {
    pid: child.pid!,
    child,
    output: () => text,
    waitFor,
    exited,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Stops each with SIGTERM; throws, with its output, for any that did not exit 0. */
export async function stopCleanly(...servers: (LaunchedProcess | undefined)[]): Promise<void> {
  const started = servers.filter((s): s is LaunchedProcess => s !== undefined);
  const codes = await Promise.all(started.map((s) => s.stop("SIGTERM")));
  const bad = started.flatMap((s, i) =>
    codes[i] === 0
      ? []
      : [`pid ${s.pid} exited with ${codes[i]} (signal ${s.child.signalCode}):\n${s.output().slice(-4000)}`],
  );
  if (bad.length > 0) throw new Error(bad.join("\n"));
}

/** Runs `node dist/manage/manage.js ...args`; resolves with its status and output. */
export function manage(
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MANAGE, ...args], {
      cwd: ROOT,
      env: baseEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("exit", (status) => resolve({ status, output }));
  });
}

/** GET on a new connection each time (no keep-alive), so a dead worker's socket is never reused. */
export function getStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: no answer within 10 s`)));
    req.on("error", reject);
  });
}

/** POST /graphql on a connection of its own. */
export function postOnOwnConnection<TData, TVariables>(
  url: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: { data?: TData | null; errors?: unknown[] } }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query: source(document), variables });
    const req = http.request(
      `${url}/graphql`,
      {
        method: "POST",
        agent: false,
        headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Pids of the cluster workers that logged "worker listening" so far. */
export function workerPids(output: string): number[] {
  const pids: number[] = [];
  for (const line of output.split("\n")) {
    if (!line.includes('"worker listening"')) continue;
    try {
      pids.push((JSON.parse(line) as { pid: number }).pid);
    } catch {
      // a line cut between two chunks: read again next time
    }
  }
  return pids;
}

/** A process's NUL-separated /proc file as a list: `cmdline` (its argv) or `environ` (its environment). */
export function procStrings(pid: number, file: "cmdline" | "environ"): string[] {
  return readFileSync(`/proc/${pid}/${file}`, "utf8").split("\0").filter(Boolean);
}
