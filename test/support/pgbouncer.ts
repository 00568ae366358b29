import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { testPostgresUrl } from "./databases";

// A real PgBouncer (Debian's package) in transaction pool mode in front of
// the test PostgreSQL, one per test that needs it: its own port, config and
// auth file in a temporary folder, stopped after. Its admin console (the
// `pgbouncer` virtual database) gives the fault tests PAUSE, RESUME and
// SHUTDOWN. Tests that use it are declared with
// `itWithTool(PGBOUNCER, "pgbouncer")` (test/support/system-tool.ts).

export const PGBOUNCER = "/usr/sbin/pgbouncer";

/** Bounds on waits for a program this harness does not control. */
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const ADMIN_TIMEOUT_MS = 15_000;

export interface PgBouncer {
  port: number;
  /**
   * `url` (a test database's direct URL) through this PgBouncer instead, with
   * `pgbouncer=true`: Debian's PgBouncer (1.18) has no max_prepared_statements,
   * so the app must not name statements through it (README, PostgreSQL).
   */
  through(url: string): string;
  /** Runs a command on the admin console; resolves with its rows. */
  admin(command: string): Promise<Record<string, unknown>[]>;
  /** PAUSE: waits for the transactions in flight, then holds every new query until RESUME. */
  pause(database?: string): Promise<void>;
  resume(database?: string): Promise<void>;
  /** SHUTDOWN through the console; resolves once the process has exited. */
  shutdown(): Promise<void>;
  /** Stops the process (SIGTERM, then SIGKILL) and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
  /** What PgBouncer logged so far (stderr), for a failing test's message. */
  log(): string;
}

const running = new Set<ChildProcess>();
// A failing test must not leave a PgBouncer behind.
afterAll(() => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts PgBouncer on a free port; rejects, with its log, if it does not listen in time. */
export async function startPgBouncer(options: { poolSize?: number } = {}): Promise<PgBouncer> {
  const upstream = new URL(testPostgresUrl());
  const user = decodeURIComponent(upstream.username || "postgres");
  const dir = mkdtempSync(join(tmpdir(), "pgbouncer-"));
  // PgBouncer refuses to run as root: as root (a container, CI), it is told
  // to switch to `nobody`, who must be able to read its files.
  const asRoot = process.getuid?.() === 0;
  chmodSync(dir, 0o755);
  const port = await freePort();
  const server = [
    `host=${upstream.hostname}`,
    `port=${upstream.port || "5432"}`,
    `user=${user}`,
    upstream.password ? `password=${decodeURIComponent(upstream.password)}` : "",
  ]
    .filter(Boolean)
    .join(" ");
  writeFileSync(join(dir, "userlist.txt"), `"${user}" ""\n`, { mode: 0o644 });
  writeFileSync(
    join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      // Any database name is forwarded to the same server, as the tests' are made per run.
      `* = ${server}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${join(dir, "userlist.txt")}`,
      "pool_mode = transaction",
      `default_pool_size = ${options.poolSize ?? 20}`,
      "max_client_conn = 500",
      `admin_users = ${user}`,
      "ignore_startup_parameters = extra_float_digits,options",
      "",
    ].join("\n"),
    { mode: 0o644 },
  );

  // No logfile: in the foreground PgBouncer logs to stderr, kept here.
  const child = spawn(PGBOUNCER, [...(asRoot ? ["-u", "nobody"] : []), join(dir, "pgbouncer.ini")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  running.add(child);
  let log = "";
  child.stderr.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      running.delete(child);
      resolve();
    }),
  );
  const gone = () => child.exitCode !== null || child.signalCode !== null;

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await accepts(port))) {
    if (gone()) throw new Error(`pgbouncer exited at start:\n${log}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`pgbouncer did not listen on ${port} within ${START_TIMEOUT_MS} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  const admin = async (command: string) => {
    const client = new Client({
      host: "127.0.0.1",
      port,
      user,
      database: "pgbouncer",
      connectionTimeoutMillis: ADMIN_TIMEOUT_MS,
      query_timeout: ADMIN_TIMEOUT_MS,
    });
    client.on("error", () => undefined);
    await client.connect();
    try {
      return (await client.query<Record<string, unknown>>(command)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  const stop = async () => {
    if (!gone()) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  return {
    port,
    through(url: string) {
      const target = new URL(url);
      target.hostname = "127.0.0.1";
      target.port = String(port);
      target.password = "";
      target.searchParams.set("pgbouncer", "true");
      return target.toString();
    },
    admin,
    async pause(database) {
      await admin(database ? `PAUSE ${quoteIdent(database)}` : "PAUSE");
    },
    async resume(database) {
      await admin(database ? `RESUME ${quoteIdent(database)}` : "RESUME");
    },
    async shutdown() {
      // The console's connection ends with the process: that is the answer.
      await admin("SHUTDOWN").catch(() => undefined);
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
    stop,
    log: () => log,
  };
}

/** Runs `body` with a fresh PgBouncer, stopped afterwards whatever happens. */
export async function withPgBouncer<T>(body: (bouncer: PgBouncer) => Promise<T>): Promise<T> {
  const bouncer = await startPgBouncer();
  try {
    return await body(bouncer);
  } finally {
    await bouncer.stop();
  }
}

/** The database a URL names: PAUSE and RESUME take it. */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

function quoteIdent(name: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`PgBouncer console: unexpected database name ${name}`);
  return name;
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

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
