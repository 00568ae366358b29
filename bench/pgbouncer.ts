import { execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { checkInterrupted, untilCleanedUp } from "./cleanup";
import { postgresServerUrl } from "./postgres";
import { freePort } from "./servers";

// A PgBouncer of the bench's own (Debian's /usr/sbin/pgbouncer), in front of
// the bench's PostgreSQL server, in transaction mode, as a deployment puts
// one before many server processes: on a free port, with a configuration in
// a temporary folder, stopped (by its pid) and removed when the bench ends.

export const PGBOUNCER = process.env.PGBOUNCER ?? "/usr/sbin/pgbouncer";
export const POOL_MODE = "transaction";
/**
 * Server connections per database and user: as many as our server opens
 * directly with two workers (10 each), so the pool itself is no bottleneck
 * and the comparison measures the extra hop.
 */
export const POOL_SIZE = 20;

export interface PgBouncer {
  version: string;
  /** `database` on the bench's server, through this PgBouncer (same user and password). */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

/** `PgBouncer 1.18.0`, or why not. */
export function pgbouncerVersion(): string {
  return execFileSync(PGBOUNCER, ["--version"], { encoding: "utf8" }).split("\n")[0]!.trim();
}

export async function startPgBouncer(log: (line: string) => void): Promise<PgBouncer> {
  let version: string;
  try {
    version = pgbouncerVersion();
  } catch (e) {
    throw new Error(
      `bench: --pgbouncer needs ${PGBOUNCER} (Debian package pgbouncer): ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  const server = new URL(postgresServerUrl());
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "bench-pgbouncer-"));
  const removeDir = untilCleanedUp(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  // PgBouncer refuses to run as root: it then runs as nobody (-u), which must read its configuration.
  const asRoot = userInfo().uid === 0;
  const quote = (v: string) => `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  const upstream = [
    `host=${server.hostname || "127.0.0.1"}`,
    `port=${server.port || "5432"}`,
    `user=${quote(decodeURIComponent(server.username || "postgres"))}`,
    ...(server.password ? [`password=${quote(decodeURIComponent(server.password))}`] : []),
  ].join(" ");
  const config = join(dir, "pgbouncer.ini");
  writeFileSync(
    config,
    [
      "[databases]",
      // Any database name the client asks for, on the bench's server, as its user:
      // clients need no password of their own (auth_type any, loopback only).
      `* = ${upstream}`,
      "",
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = any",
      `pool_mode = ${POOL_MODE}`,
      `default_pool_size = ${POOL_SIZE}`,
      "max_client_conn = 1000",
      "ignore_startup_parameters = extra_float_digits",
      "log_connections = 0",
      "log_disconnections = 0",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  if (asRoot) {
    const nobody = 65534;
    chownSync(dir, nobody, nobody);
    chownSync(config, nobody, nobody);
    chmodSync(dir, 0o700);
  }

  checkInterrupted(); // then spawn and register in one step: no signal can come between
  const child = spawn(PGBOUNCER, [...(asRoot ? ["-u", "nobody"] : []), config], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const stopChild = untilCleanedUp(`stop PgBouncer (pid ${child.pid})`, async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM"); // PgBouncer: fast exit, closing every connection
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
  });
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const stop = async () => {
    await stopChild();
    await removeDir();
  };

  const urlFor = (database: string) => {
    const url = new URL(server.toString());
    url.port = String(port);
    url.hostname = "127.0.0.1";
    url.pathname = `/${database}`;
    return url.toString();
  };
  try {
    await waitAnswering(urlFor(server.pathname.slice(1) || "postgres"), child, () => output);
  } catch (e) {
    await stop();
    throw e;
  }
  log(`${version} (pool_mode ${POOL_MODE}, default_pool_size ${POOL_SIZE}) on 127.0.0.1:${port}, pid ${child.pid}`);
  return { version, urlFor, stop };
}

/** Until a query passes through it to the server (bounded: 15 s). */
async function waitAnswering(url: string, child: ReturnType<typeof spawn>, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last = "";
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`bench: PgBouncer exited with ${child.exitCode}:\n${output()}`);
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      return;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`bench: PgBouncer answered no query within 15 s (${last}):\n${output()}`);
}
