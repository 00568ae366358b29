import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Operation, OperationName, ScenarioData } from "./scenarios";
import { ROLL } from "./scenarios";
import { freePort, MemorySampler, type RunningServer } from "./servers";

// The seed's own stack (Django REST framework TokenAuthentication under
// gunicorn sync workers, SQLite), from ../shared/anchors/drf: copied to a
// temporary folder, seeded with the same number of students, started with
// the same number of workers, driven by the same wrk script as our server.

export const DRF_ANCHOR = process.env.DRF_ANCHOR ?? "/work/shared/anchors/drf";
/** The anchor's seeded user (api/management/commands/seed.py). */
const DRF_USER = { username: "amit", password: "P@ssword123" };

export interface DrfServer extends RunningServer {
  /** amit's key, from POST /gettoken/. */
  token: string;
  /** Students the anchor seeded: ids 1..students. */
  students: number;
}

function sh(script: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`bench: ${script} ${args.join(" ")} exited with ${code}:\n${out.slice(-2000)}`));
    });
  });
}

export async function startDrf(opts: {
  students: number;
  workers: number;
  log: (line: string) => void;
}): Promise<DrfServer> {
  const dir = join(mkdtempSync(join(tmpdir(), "bench-drf-")), "drf");
  cpSync(DRF_ANCHOR, dir, { recursive: true });
  const cleanup = () => rmSync(join(dir, ".."), { recursive: true, force: true });
  let port: number;
  try {
    const started = Date.now();
    await sh(join(dir, "setup.sh"), [String(opts.students)], 300_000);
    opts.log(`DRF seeded: ${opts.students} students (${Date.now() - started} ms), in ${dir}`);
    port = await freePort();
    await sh(join(dir, "run.sh"), [String(port), String(opts.workers)], 60_000);
  } catch (e) {
    cleanup();
    throw e;
  }
  const url = `http://127.0.0.1:${port}`;
  const pid = Number(readFileSync(join(dir, "run", "gunicorn.pid"), "utf8").trim());
  const memory = new MemorySampler(pid);
  const stop = async () => {
    memory.stop();
    await sh(join(dir, "stop.sh"), [], 30_000).catch(() => undefined);
    cleanup();
  };
  try {
    const res = await fetch(`${url}/gettoken/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(DRF_USER),
    });
    const { token } = (await res.json()) as { token?: string };
    if (!res.ok || !token) throw new Error(`bench: DRF's /gettoken/ answered ${res.status}`);
    return { kind: "drf", pid, url, memory, stop, token, students: opts.students };
  } catch (e) {
    await stop();
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
        label: "students(limit: 20)",
        kdf: false,
        next: () => ({ method: "GET", path: "/studentapi/?limit=20", body: "", headers: authed }),
      };
    case "student":
      return {
        name,
        label: "student(id)",
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
        label: "createStudent",
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
        label: "obtainToken",
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
