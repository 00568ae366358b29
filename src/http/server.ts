import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from "@apollo/server/plugin/disabled";
import { fastifyApolloHandler } from "@as-integrations/fastify";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { App } from "../app";
import { createContext, type Context } from "../graphql/context";
import { errorShapePlugin, formatError } from "../graphql/error-shape";
import { accessPlugin } from "../graphql/operation-access";
import { graphqlLimits } from "../graphql/query-limits";
import { KnownOperationTypesRule } from "../graphql/operation-types";
import { getSchema, printSdl } from "../schema";
import { registerCors } from "./cors";
import { clientErrorHandler, registerErrorHandler, sendError } from "./error-handler";
import { registerAdmin } from "./admin";
import { registerGracefulClose } from "./graceful-close";
import { registerHome } from "./home";
import { registerMetricsRoute } from "./metrics-endpoint";
import { registerPlayground } from "./playground";
import { ApiError, MESSAGES } from "../shared/errors";
import { ignoreBody, registerRequestChecks, sentMethod } from "./request-checks";
import { trustProxyOption } from "./trust-proxy";
import { clientKey } from "./client-address";
import { registerJsonParser } from "./json-body";
import { timeoutOptions } from "./timeouts";

// HTTP wiring only: routes, the Apollo handler, the context function, logs.

declare module "fastify" {
  interface FastifyRequest {
    /** Filled in while the request runs, for its log line and its metrics. */
    graphql: {
      operationName?: string | null;
      operationType?: string;
      errorCode?: string;
      userId?: number;
      username?: string;
    };
  }
}

export interface Server {
  fastify: FastifyInstance;
  apollo: ApolloServer<Context>;
  /** Stops accepting, answers every request already received, then stops Apollo (see graceful-close.ts). */
  close(): Promise<void>;
}

export async function createServer(app: App, logger: Logger): Promise<Server> {
  const { config } = app;
  // Typed as Fastify's base logger, so its generics stay the defaults.
  const loggerInstance: FastifyBaseLogger = logger;
  const fastify = Fastify({
    loggerInstance,
    // Our own single line per request (onResponse) replaces Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.BODY_LIMIT,
    ...timeoutOptions(config),
    trustProxy: trustProxyOption(config.TRUST_PROXY),
    clientErrorHandler,
    // `/graphql/` is the same endpoint as `/graphql`.
    routerOptions: { ignoreTrailingSlash: true },
    // A request that arrives on a busy connection while closing is answered
    // (with Connection: close), not refused with a 503: see graceful-close.ts.
    return503OnClosing: false,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
    },
  });
  fastify.decorateRequest("graphql", null as never);
  fastify.addHook("onRequest", async (request, reply) => {
    request.graphql = {};
    reply.header("x-request-id", request.id);
  });
  fastify.addHook("onResponse", async (request, reply) => {
    // One line per request; never the headers, the body or the query string.
    request.log.info(
      {
        method: sentMethod(request),
        path: request.url.split("?")[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        operation: request.graphql.operationName ?? undefined,
        userId: request.graphql.userId,
      },
      "request",
    );
  });
  registerErrorHandler(fastify);
  registerJsonParser(fastify);
  // First after the request's own set-up: a request without a usable Host goes no further.
  registerRequestChecks(fastify);
  await registerCors(fastify, config.CORS_ORIGINS);

  const schema = await getSchema();
  const operationName: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ operationName, operation, contextValue }) {
          contextValue.request.graphql.operationName = operationName;
          contextValue.request.graphql.operationType = operation?.operation;
        },
        // The first error's code, for the request's `outcome` label (see onSend below).
        willSendResponse: app.metrics
          ? async ({ response, contextValue }) => {
              const code =
                response.body.kind === "single" ? response.body.singleResult.errors?.[0]?.extensions?.code : undefined;
              if (typeof code === "string") contextValue.request.graphql.errorCode = code;
            }
          : undefined,
      };
    },
  };
  const limits = graphqlLimits(config);
  const apollo = new ApolloServer<Context>({
    schema,
    logger: fastify.log,
    includeStacktraceInErrorResponses: !config.production,
    hideSchemaDetailsFromClientErrors: config.production,
    formatError: formatError(config.production),
    // One operation per request, so the limits above bound a request's work.
    allowBatchedHttpRequests: false,
    validationRules: [KnownOperationTypesRule, ...limits.validationRules],
    // No automatic persisted queries: the contract's transport is {query,
    // variables, operationName}, and Apollo reports a bad APQ hash as an
    // INTERNAL_SERVER_ERROR. Clients that try APQ get PERSISTED_QUERY_NOT_SUPPORTED
    // and fall back to sending the query.
    persistedQueries: false,
    parseOptions: limits.parseOptions,
    // Introspection is this API's OPTIONS: the seed explores the API with it.
    introspection: true,
    // main.ts owns the signals and closes the HTTP server first (graceful-close.ts).
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // No HTTP caching of authenticated answers, so no per-field cache hints:
      // Apollo's default cache-control plugin wraps every resolver for them.
      ApolloServerPluginCacheControlDisabled(),
      operationName,
      accessPlugin(),
      // Every error's status, headers and `data` (error-shape.ts).
      errorShapePlugin(),
      ...(limits.plugins as ApolloServerPlugin<Context>[]),
    ],
  });
  await apollo.start();
  const close = registerGracefulClose(fastify, apollo);

  const userThrottle = app.userThrottle;
  const context = createContext({
    authenticate: (header) => app.services.tokens.authenticate(header),
    clientAddress: (ip) => clientKey(ip, config.IPV6_PREFIX),
    throttleUser: userThrottle ? (userId) => userThrottle.hit(userId) : undefined,
    container: app.resolvers,
  });
  const serveGraphQL = fastifyApolloHandler(apollo, { context });

  registerPlayground(fastify);
  registerHome(fastify);
  registerAdmin(fastify);

  const requestMetrics = app.metrics?.requests;
  fastify.route({
    method: ["GET", "POST"],
    url: "/graphql",
    // Counted as the answer goes out, so a scrape that follows the answer sees it.
    onSend: requestMetrics
      ? (request, reply, payload, done) => {
          requestMetrics.record(request.graphql, reply.statusCode, reply.elapsedTime / 1000);
          done(null, payload);
        }
      : undefined,
    preHandler: async (request) => {
      // Apollo's CSRF prevention refuses plain GETs. Only queries run over GET
      // (Apollo answers 405 to a mutation) and keys travel in a header that a
      // cross-site page cannot add, so a GET query is marked as safe here;
      // POSTs keep the full check (a text/plain or form POST is refused).
      if (request.method === "GET") request.headers["apollo-require-preflight"] = "true";
    },
    handler: serveGraphQL,
  });
  fastify.options("/graphql", { preParsing: ignoreBody }, async (_request, reply) =>
    reply.header("allow", "GET, POST, OPTIONS").code(204).send(),
  );
  // The resource exists: another method is a 405 naming the allowed ones, not a 404.
  fastify.route({
    method: ["PUT", "PATCH", "DELETE"],
    url: "/graphql",
    preParsing: ignoreBody,
    handler: async (request, reply) =>
      sendError(reply, new ApiError("METHOD_NOT_ALLOWED", MESSAGES.methodNotAllowed(request.method)), {
        allow: "GET, POST, OPTIONS",
      }),
  });

  const sdl = printSdl(schema); // the same text as schema.graphql
  fastify.get("/schema.graphql", async (_request, reply) => reply.type("text/plain; charset=utf-8").send(sdl));
  fastify.route({
    method: ["GET", "HEAD"],
    url: "/healthz",
    handler: async (_request, reply) => reply.send({ status: "ok" }),
  });
  fastify.get("/readyz", async (_request, reply) => {
    try {
      await app.db.ping();
      return reply.send({ status: "ready" });
    } catch {
      return reply.code(503).send({ status: "unavailable", reason: "the database does not answer" });
    }
  });

  // Never on the public port without the secret (see config.ts).
  if (app.metrics && config.METRICS.mode === "bearer") registerMetricsRoute(fastify, app.metrics, config.METRICS_TOKEN);

  return { fastify, apollo, close };
}
