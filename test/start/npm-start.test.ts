import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { ensureBuilt, ROOT } from "../support/build";
import { freshDatabaseUrl } from "../support/databases";
import { procStrings } from "../support/processes";

// `npm start` as a supervisor runs it: with a current dist/ it starts the
// server without compiling, `--silent` leaves only the server's own lines,
// and SIGTERM to the npm process stops the server (npm forwards the signal
// to its script's shell, which has exec'd node). The server runs with the
// allocator setting and heap flags the README and BENCHMARKS.md describe.

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });

/** The environment and command line of npm's script: its shell has exec'd node, so npm's only child. */
function scriptProcess(npmPid: number): { env: string[]; argv: string[] } {
  const children = readFileSync(`/proc/${npmPid}/task/${npmPid}/children`, "utf8").trim().split(/\s+/);
  expect(children).toHaveLength(1);
  const pid = Number(children[0]);
  return { env: procStrings(pid, "environ"), argv: procStrings(pid, "cmdline") };
}

/** True when something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

beforeAll(ensureBuilt, 120_000);

it("npm --silent start: no banner, no compile; SIGTERM to npm stops the server and frees the port", async () => {
  const npm = spawn("npm", ["--silent", "start"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      DATABASE_URL: await freshDatabaseUrl(),
      PORT: "0",
      LOG_LEVEL: "silent",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const done = exited(npm);
  let stdout = "";
  let stderr = "";
  npm.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start-up line in 60 s: ${stdout} ${stderr}`)), 60_000);
      npm.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        const match = /Serving GraphQL at http:\/\/127\.0\.0\.1:(\d+)\/graphql/.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      void done.then(() => reject(new Error(`npm start exited: ${stdout} ${stderr}`)));
    });
    expect(stdout.startsWith("Serving GraphQL at ")).toBe(true);
    expect(stderr).toBe("");
    expect(await listening(port)).toBe(true);
    const server = scriptProcess(npm.pid!);
    expect(server.env).toContain("MALLOC_MMAP_THRESHOLD_=131072");
    expect(server.argv.slice(1)).toEqual(["--max-semi-space-size=4", "--heap-growing-percent=20", "dist/main.js"]);

    npm.kill("SIGTERM");
    await done;
    // npm waits for its script's process, so the port is free once npm is gone.
    expect(await listening(port)).toBe(false);
  } finally {
    if (npm.exitCode === null && npm.signalCode === null) npm.kill("SIGKILL");
  }
}, 120_000);
