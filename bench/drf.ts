import { spawn } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkInterrupted, undoAll, untilCleanedUp } from "./cleanup";
import { createDatabase, databaseName, vacuumAnalyze } from "./postgres";
import { ROOT } from "./project";
import type { Operation, OperationName, ScenarioData } from "./scenarios";
import { LABELS, ROLL } from "./scenarios";
import type { Provider } from "./seed";
import { freePort, MemorySampler, type RunningServer } from "./servers";

// The seed's own stack (Django REST framework TokenAuthentication under
// gunicorn sync workers), from ../shared/anchors/drf: copied to a temporary
// folder, seeded once with the same number of students, on SQLite or (with
// DRF_DATABASE_URL, its README) on PostgreSQL with Django's persistent
// connections. Each run starts it afresh, with the same number of workers as
// ours, on a fresh copy of that seed (rows created by one run never reach the
// next), and the same wrk script drives it as our server.

/**
 * DRF_ANCHOR, else ../shared/anchors/drf beside the clone (or beside its
 * parent, for a git worktree one level deeper). Read when the bench starts
 * DRF, so that a test can point it elsewhere.
 */
export function drfAnchor(): string {
  if (process.env.DRF_ANCHOR) return process.env.DRF_ANCHOR;
  const candidates = [join(ROOT, "..", "shared", "anchors", "drf"), join(ROOT, "..", "..", "shared", "anchors", "drf")];
  return candidates.find((d) => existsSync(d)) ?? candidates[0]!;
}
/** The anchor's seeded user (api/management/commands/seed.py). */
const DRF_USER = { username: "amit", password: "P@ssword123" };

export interface DrfServer extends RunningServer {
  /** amit's key, from POST /gettoken/. */
  token: string;
  /** Students the anchor seeded: ids 1..students. */
  students: number;
}

export interface DrfStack {
  /** "SQLite" or "PostgreSQL (CONN_MAX_AGE 60)": how the tables name it. */
  database: string;
  /** Starts gunicorn on a fresh copy of the seed; `label` names the copy. */
  start(label: string): Promise<DrfServer>;
  /** Removes the folder and the databases. */
  dispose(): Promise<void>;
}

/**
 * Runs one of the anchor's scripts in its own process group, so that an
 * interrupted bench can stop it and whatever it started. Rejects with its
 * output's tail when it fails or outlasts `timeoutMs`.
 */
function sh(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  opts: { cleaningUp?: boolean } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    // A script that is itself part of the cleanup (stop.sh) must run after a signal too.
    if (!opts.cleaningUp) checkInterrupted(); // then spawn and register in one step: no signal can come between
    const child = spawn("bash", [script, ...args], { stdio: ["ignore", "pipe", "pipe"], env, detached: true });
    const killGroup = () => {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    };
    const kill = opts.cleaningUp ? async () => killGroup() : untilCleanedUp(`kill ${script}`, killGroup);
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => void kill(), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      void kill();
      if (code === 0) resolve(out);
      else reject(new Error(`bench: ${script} ${args.join(" ")} exited with ${code}:\n${out.slice(-2000)}`));
    });
  });
}

/** The environment of the anchor's scripts: the caller's, with DRF_DATABASE_URL set for PostgreSQL only. */
function drfEnv(databaseUrl: string | null): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DRF_DATABASE_URL;
  if (databaseUrl) env.DRF_DATABASE_URL = databaseUrl;
  return env;
}

export async function prepareDrf(opts: {
  db: Provider;
  students: number;
  workers: number;
  runId: string;
  log: (line: string) => void;
}): Promise<DrfStack> {
  const root = mkdtempSync(join(tmpdir(), "bench-drf-"));
  const dir = join(root, "drf");
  // Newest first: the databases, then the folder.
  const undo: (() => Promise<void>)[] = [
    untilCleanedUp(`remove ${root}`, () => rmSync(root, { recursive: true, force: true })),
  ];
  const dispose = () => undoAll(undo, opts.log);
  try {
    cpSync(drfAnchor(), dir, { recursive: true });
    let template: { name: string; url: string } | null = null;
    if (opts.db === "postgresql") {
      const made = await createDatabase(databaseName(opts.runId, "drf_template"));
      undo.push(made.drop);
      template = made;
    }
    const started = Date.now();
    await sh(join(dir, "setup.sh"), [String(opts.students)], drfEnv(template?.url ?? null), 300_000);
    if (template) await vacuumAnalyze(template.url);
    const database = template ? "PostgreSQL (CONN_MAX_AGE 60)" : "SQLite";
    opts.log(`DRF seeded on ${database}: ${opts.students} students (${Date.now() - started} ms), in ${dir}`);
    const sqliteTemplate = join(root, "template.sqlite3");
    if (!template) copyFileSync(join(dir, "db.sqlite3"), sqliteTemplate);

    const start = async (label: string): Promise<DrfServer> => {
      let databaseUrl: string | null = null;
      let dropCopy: () => Promise<void> = async () => undefined;
      if (template) {
        const copy = await createDatabase(databaseName(opts.runId, `drf_${label}`), template.name);
        undo.push(copy.drop);
        databaseUrl = copy.url;
        dropCopy = copy.drop;
      } else {
        for (const suffix of ["", "-journal", "-wal", "-shm"])
          rmSync(join(dir, `db.sqlite3${suffix}`), { force: true });
        copyFileSync(sqliteTemplate, join(dir, "db.sqlite3"));
      }
      const env = drfEnv(databaseUrl);
      const stopScript = untilCleanedUp("stop DRF's gunicorn", async () => {
        await sh(join(dir, "stop.sh"), [], env, 30_000, { cleaningUp: true });
      });
      const port = await freePort();
      try {
        await sh(join(dir, "run.sh"), [String(port), String(opts.workers)], env, 60_000);
      } catch (e) {
        await stopScript();
        await dropCopy();
        throw e;
      }
      return connectDrf(`http://127.0.0.1:${port}`, dir, opts.students, async () => {
        await stopScript();
        await dropCopy();
      });
    };
    return { database, start, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** The gunicorn that run.sh started: its memory, amit's key; `stop` stops it and drops its copy. */
async function connectDrf(url: string, dir: string, students: number, stop: () => Promise<void>): Promise<DrfServer> {
  let memory: MemorySampler | null = null;
  const stopAll = async () => {
    memory?.stop();
    await stop();
  };
  try {
    const pid = Number(readFileSync(join(dir, "run", "gunicorn.pid"), "utf8").trim());
    memory = new MemorySampler(pid);
    const res = await fetch(`${url}/gettoken/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(DRF_USER),
    });
    const { token } = (await res.json()) as { token?: string };
    if (!res.ok || !token) throw new Error(`bench: DRF's /gettoken/ answered ${res.status}`);
    return { kind: "drf", pid, url, memory, stop: stopAll, token, students };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
/** The same four scenarios as DRF's REST routes. */
export function drfOperation(name: OperationName, server: Pick<DrfServer, "token" | "students">): Operation | null {
  const authed = { "content-type": "application/json", authorization: `Token ${server.token}` };
  switch (name) {
    case "students":
      return {
        name,
        label: LABELS[name],
        kdf: false,
        next: () => ({ method: "GET", path: "/studentapi/?limit=20", body: "", headers: authed }),
      };
    case "student":
      return {
        name,
        label: LABELS[name],
        kdf: false,
        next: () => ({
          method: "GET",
          path: `/studentapi/${1 + Math.floor(Math.random() * server.students)}/`,
          body: "",
          headers: authed,
        }),
      };
    case "createStudent":
      return {
        name,
        label: LABELS[name],
        kdf: false,
        next: () => {
          throw new Error("bench: DRF's createStudent runs under wrk only");
        },
        template: () => ({
          method: "POST",
          path: "/studentapi/",
          body: `{"name":"Bench ${ROLL}","roll":${ROLL},"city":"Benchville"}`,
          headers: authed,
        }),
      };
    case "obtainToken":
      return {
        name,
        label: LABELS[name],
        kdf: true,
        next: () => ({
          method: "POST",
          path: "/gettoken/",
          body: JSON.stringify(DRF_USER),
          headers: { "content-type": "application/json" },
        }),
      };
    case "me":
      return null; // DRF's seed app has no such route
  }
}

export type { ScenarioData };
