import "./threadpool";
import "reflect-metadata";
import cluster from "node:cluster";
import type { Logger } from "pino";
import { createApp } from "./app";
import { runPrimary } from "./cluster";
import { ConfigError, loadConfig, type Config } from "./config/config";
import { describeDatabase } from "./db/database-url";
import { migrate } from "./db/migrate";
import { createServer } from "./http/server";
import { describeLimits } from "./limits/rate-limiter";
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
      // A setting can be well-formed and still unusable (a file that is not a
      // database, a port in use): the line still names the variable.
      const output = await migrate(config.DATABASE_URL).catch((e: unknown) => {
        throw new Error(`DATABASE_URL: ${describeDatabase(config.DATABASE_URL)}: ${messageOf(e)}`);
      });
      logger.info(/No pending migrations/.test(output) ? "migrations: none to apply" : "migrations: applied");
    }
    if (config.WEB_CONCURRENCY > 1) return runPrimary(config, logger);
  }
  await serve(config, logger);
}

/** One server: the whole app in a single process, or one cluster worker. */
async function serve(config: Config, logger: Logger): Promise<void> {
  const app = createApp(config);
  const server = await createServer(app, logger);
  const { fastify } = server;
  if (!(await app.limitsReady())) {
    logger.warn("REDIS_URL: Redis did not answer in time; counting limits in this process until it does");
  }
  const address = await fastify.listen({ host: config.HOST, port: config.PORT }).catch((e: unknown) => {
    throw new Error(listenProblem(e as NodeJS.ErrnoException, config.HOST, config.PORT));
  });

  if (cluster.isWorker) {
    // The primary prints the start-up lines once for all workers.
    logger.info({ address }, "worker listening");
  } else {
    const users = await app.db.prisma.user.count();
    // One write, so a reader of the output sees the lines together.
    console.log(
      [
        `Serving GraphQL at ${address}/graphql (playground: ${address}/playground)`,
        `Database: ${describeDatabase(config.DATABASE_URL)}`,
        users === 0
          ? "No users yet: create the first with `npm run manage -- createsuperuser` (it prints a key)."
          : `Get a key: http POST ${address}/graphql query='mutation { obtainToken(username: "...", password: "...") { token } }'`,
        `Login limits: ${describeLimits(app.limits)}`,
      ].join("\n"),
    );
  }

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
      await server.close();
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
