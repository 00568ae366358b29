import "reflect-metadata";
import { createApp } from "./app";
import { ConfigError, loadConfig } from "./config/config";
import type { Database } from "./db/database-url";
import { migrate } from "./db/migrate";
import { createServer } from "./http/server";
import { createLogger } from "./logger";

// `npm start`: validate the settings, migrate, serve, and stop cleanly.

async function main(): Promise<void> {
  let config;
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
  // A setting can be well-formed and still unusable (a file that is not a
  // database, a port in use): the line still names the variable.
  await migrate(config.DATABASE_URL).catch((e: unknown) => {
    throw new Error(`DATABASE_URL: ${describeDatabase(config.DATABASE_URL)}: ${messageOf(e)}`);
  });
  const app = createApp(config);
  const { fastify } = await createServer(app, logger);
  const address = await fastify.listen({ host: config.HOST, port: config.PORT }).catch((e: unknown) => {
    throw new Error(listenProblem(e as NodeJS.ErrnoException, config.HOST, config.PORT));
  });

  const users = await app.db.prisma.user.count();
  console.log(`Serving GraphQL at ${address}/graphql (playground: ${address}/playground)`);
  console.log(`Database: ${describeDatabase(config.DATABASE_URL)}`);
  console.log(
    users === 0
      ? "No users yet: create the first with `npm run manage -- createsuperuser` (it prints a key)."
      : `Get a key: http POST ${address}/graphql query='mutation { obtainToken(username: "...", password: "...") { token } }'`,
  );

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
    await fastify.close();
    await app.close();
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

/** Where the data lives, without the credentials a PostgreSQL URL may hold. */
function describeDatabase(database: Database): string {
  if (database.provider === "sqlite") return `SQLite at ${database.file}`;
  try {
    const url = new URL(database.url);
    return `PostgreSQL at ${url.hostname}:${url.port || "5432"}${url.pathname}`;
  } catch {
    return "PostgreSQL";
  }
}

main().catch((e: unknown) => {
  console.error(`Cannot start: ${messageOf(e)}`);
  process.exit(1);
});
