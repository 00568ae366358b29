import "./threadpool";
import "reflect-metadata";
import cluster from "node:cluster";
import type { Logger } from "pino";
import { createApp } from "./app";
import { runPrimary, type LimitsMessage } from "./cluster";
import { ConfigError, loadConfig, type Config } from "./config/config";
import { describeDatabase } from "./db/database-url";
import { migrateWithSettings } from "./db/migrate";
import { listenForMetrics, type MetricsListener } from "./http/metrics-endpoint";
import { createServer } from "./http/server";
import { createLogger } from "./logger";

// `npm start`: validate the settings, migrate (once, before any worker
// starts; MIGRATE_ON_START=false leaves it to `manage migrate`), then serve
// in this process or in WEB_CONCURRENCY workers (src/cluster.ts).

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`Cannot start: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
  const logger = createLogger(config.LOG_LEVEL);
  if (cluster.isPrimary) {
    if (config.MIGRATE_ON_START) {
      const { applied } = await migrateWithSettings(config, (line) => logger.warn(`migrations: ${line}`));
      if (applied.length === 0) logger.info("migrations: none to apply");
      else logger.info({ migrations: applied }, "migrations: applied");
    }
    if (config.WEB_CONCURRENCY > 1) return runPrimary(config, logger, await serveClusterMetrics(config, logger));
  }
  await serve(config, logger);
}

/** One server: the whole app in a single process, or one cluster worker. */
async function serve(config: Config, logger: Logger): Promise<void> {
  const app = createApp(config, { logger });
  const server = await createServer(app, logger);
  const { fastify } = server;
  // A cluster's workers leave METRICS=port:... to the primary, which sums them.
  const metrics =
    app.metrics && config.METRICS.mode === "port" && cluster.isPrimary
      ? await listenForMetrics(config.METRICS, app.metrics, config.METRICS_TOKEN, logger)
      : null;
  // Installed before the server listens: a SIGTERM that arrives while it is
  // still starting (a load balancer's health check has already seen it) drains
  // it too, rather than killing it by the signal's default action.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "draining");
    const timer = setTimeout(() => {
      logger.error("shutdown timed out");
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT * 1000);
    timer.unref();
    // Stops accepting, closes idle connections, answers every request already
    // received (with Connection: close) and waits for them; then the database
    // and the limiter store.
    try {
      await Promise.all([server.close(), metrics?.close()]);
      await app.close();
    } catch (e) {
      logger.error({ err: e }, "shutdown failed");
      process.exit(1);
    }
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  // Redis not answering by then is logged by the store itself, once.
  await app.limitsReady();
  // The primary's start-up line says where its workers count (src/cluster.ts).
  if (cluster.isWorker) process.send?.({ limits: app.limitsNow() } satisfies LimitsMessage);
  const address = await fastify.listen({ host: config.HOST, port: config.PORT }).catch((e: unknown) => {
    throw new Error(listenProblem(e as NodeJS.ErrnoException, config.HOST, config.PORT));
  });

  // Once now, then periodically: every worker prunes (the same DELETE, harmless twice).
  app.audit.keep(config.AUDIT_RETENTION);
  // Each process learns the slowest stored hash's cost, in the background (src/users/failed-login-floor.ts).
  app.services.users.failedLoginFloor.watch((e) =>
    logger.warn({ err: e }, "failed-login floor: stored hashes not read"),
  );

  if (cluster.isWorker) {
    // The primary prints the start-up lines once for all workers.
    logger.info({ address }, "worker listening");
  } else {
    const users = await app.services.users.count();
    // One write, so a reader of the output sees the lines together.
    console.log(
      [
        `Serving GraphQL at ${address}/graphql (playground: ${address}/playground)`,
        `Database: ${describeDatabase(config.DATABASE_URL)}`,
        users === 0
          ? "No users yet: create the first with `npm run manage -- createsuperuser` (it prints a key)."
          : `Get a key: http POST ${address}/graphql query='mutation { obtainToken(username: "...", password: "...") { token } }'`,
        `Login limits: ${app.limitsNow()}`,
        ...metricsLine(config, metrics, address),
      ].join("\n"),
    );
  }
}

/**
 * The primary of a cluster: sums the workers' metrics (prom-client's
 * aggregator), on a listener of its own for METRICS=port:..., and for the
 * workers that serve /metrics themselves for METRICS=bearer. Returns the
 * start-up line about metrics, if any.
 */
async function serveClusterMetrics(config: Config, logger: Logger): Promise<(address: string) => string[]> {
  if (config.METRICS.mode === "off") return () => [];
  // Loaded only when METRICS is set (prom-client costs about 0.1 s of CPU to load).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  const { primaryMetrics } = require("./metrics/cluster") as typeof import("./metrics/cluster");
  const source = primaryMetrics();
  const listener =
    config.METRICS.mode === "port"
      ? await listenForMetrics(config.METRICS, source, config.METRICS_TOKEN, logger)
      : null;
  return (address) => metricsLine(config, listener, address);
}

/** The start-up line saying where /metrics is served. */
function metricsLine(config: Config, listener: MetricsListener | null, publicAddress: string): string[] {
  const bearer = config.METRICS_TOKEN ? " (Authorization: Bearer METRICS_TOKEN)" : "";
  if (listener) return [`Metrics: ${listener.address}/metrics${bearer}`];
  return config.METRICS.mode === "bearer" ? [`Metrics: ${publicAddress}/metrics${bearer}`] : [];
}

function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").trim();
}

function listenProblem(e: NodeJS.ErrnoException, host: string, port: number): string {
  switch (e.code) {
    case "EADDRINUSE":
      return `PORT: ${port} is already in use on ${host}`;
    case "EACCES":
      return `PORT: no permission to listen on ${port}`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
      return `HOST: "${host}" does not resolve to an address`;
    case "EADDRNOTAVAIL":
      return `HOST: "${host}" is not an address of this machine`;
    default:
      return `HOST, PORT: cannot listen on ${host}:${port}: ${messageOf(e)}`;
  }
}

main().catch((e: unknown) => {
  console.error(`Cannot start: ${messageOf(e)}`);
  process.exit(1);
});
