import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import type { Logger } from "pino";
import type { Config } from "./config/config";
import { describeDatabase } from "./db/database-url";
import { describeLimits, limiterStoreKind } from "./throttling/rate-limiter";

// The primary of WEB_CONCURRENCY > 1: it serves nothing itself. It forks the
// workers (which share the port through node:cluster), replaces one that
// dies, and on SIGTERM or SIGINT asks every worker to drain, then exits.

/** A worker that dies sooner than this after its start counts as a crash. */
const HEALTHY_AFTER_MS = 10_000;
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

/** Delay before the next fork after `crashes` quick deaths in a row: 0, 0.5s, 1s, 2s ... 30s. */
export function restartDelay(crashes: number): number {
  return crashes === 0 ? 0 : Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (crashes - 1));
}

/**
 * The Node flags of each worker: the primary's (npm start's heap flags), and,
 * on Node before 24, V8's garbage collector on the worker's own thread when
 * the workers fill the cores. Its parallel helper threads then find no idle
 * core: they take turns with the other workers, and a collection waits for
 * the slowest helper (longer scavenges and a higher p99). On Node 24 the
 * same flag does the opposite: slower reads, a higher p99 and a third more
 * memory per worker (BENCHMARKS.md), so its workers keep their helpers.
 * With fewer workers than cores the helpers have a core to run on, and are kept.
 */
export function workerExecArgv(
  workers: number,
  cores = availableParallelism(),
  primary: readonly string[] = process.execArgv,
  nodeMajor = Number(process.versions.node.split(".")[0]),
): string[] {
  const flag = "--single-threaded-gc";
  return workers >= cores && nodeMajor < 24 && !primary.includes(flag) ? [...primary, flag] : [...primary];
}

/** What a worker tells the primary before it listens: where it counts limits at that moment. */
export interface LimitsMessage {
  limits: string;
}

function isLimitsMessage(message: unknown): message is LimitsMessage {
  return typeof (message as Partial<LimitsMessage> | null)?.limits === "string";
}

/** `moreLines`: more start-up lines (given the address), printed with the others once every worker listens. */
export function runPrimary(config: Config, logger: Logger, moreLines: (address: string) => string[] = () => []): void {
  const started = new Map<number, number>(); // worker id -> start time
  const pending = new Set<NodeJS.Timeout>(); // forks waiting out a backoff
  const listening = new Set<number>(); // worker ids
  let crashes = 0;
  let stopping = false;
  let announced = false;
  // Sent before the worker listens, so it is here by the time it does.
  const limits = new Map<number, string>(); // worker id -> where it counts limits
  cluster.on("message", (worker, message) => {
    if (isLimitsMessage(message)) limits.set(worker.id, message.limits);
  });

  const fork = () => {
    const worker = cluster.fork();
    started.set(worker.id, Date.now());
  };

  cluster.on("listening", (worker, address) => {
    listening.add(worker.id);
    if (announced || listening.size < config.WEB_CONCURRENCY) return;
    announced = true;
    const base = `http://${address.address ?? config.HOST}:${address.port}`;
    // One write, so a reader of the output sees the lines together.
    console.log(
      [
        `Serving GraphQL at ${base}/graphql (playground: ${base}/playground)`,
        `Workers: ${config.WEB_CONCURRENCY}, sharing the port; primary pid ${process.pid}`,
        `Database: ${describeDatabase(config.DATABASE_URL)}`,
        `Login limits: ${[...new Set(limits.values())].join("; ") || describeLimits(limiterStoreKind(config))}`,
        ...moreLines(base),
      ].join("\n"),
    );
  });

  cluster.on("exit", (worker: Worker, code, signal) => {
    const lived = Date.now() - (started.get(worker.id) ?? 0);
    started.delete(worker.id);
    listening.delete(worker.id);
    limits.delete(worker.id);
    if (stopping) {
      if (started.size === 0) finish();
      return;
    }
    crashes = lived < HEALTHY_AFTER_MS ? crashes + 1 : 0;
    const delay = restartDelay(crashes);
    logger.error({ pid: worker.process.pid, code, signal, restartInMs: delay }, "worker died; starting another");
    const timer = setTimeout(() => {
      pending.delete(timer);
      if (!stopping) fork();
    }, delay);
    pending.add(timer);
  });

  let deadline: NodeJS.Timeout | undefined;
  let forced = false;
  const finish = () => {
    if (deadline) clearTimeout(deadline);
    process.exit(forced ? 1 : 0);
  };

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: started.size }, "draining workers");
    for (const timer of pending) clearTimeout(timer);
    pending.clear();
    if (started.size === 0) return finish();
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
    // Each worker has SHUTDOWN_TIMEOUT to drain; a little more here for it to exit.
    deadline = setTimeout(
      () => {
        forced = true;
        logger.error({ workers: started.size }, "workers did not stop in time; killing them");
        for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGKILL");
        setTimeout(finish, 1000).unref();
      },
      config.SHUTDOWN_TIMEOUT * 1000 + 1000,
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  cluster.setupPrimary({ execArgv: workerExecArgv(config.WEB_CONCURRENCY) });
  for (let i = 0; i < config.WEB_CONCURRENCY; i++) fork();
}
