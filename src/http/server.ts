import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from "@as-integrations/fastify";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from "fastify";
import { printSchema } from "graphql";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { parseAuthorizationHeader } from "../auth/authorization-header";
import type { App } from "../app";
import type { Context } from "../graphql/context";
import { formatError } from "../graphql/format-error";
import { graphqlLimits } from "../graphql/limits";
import { KnownOperationTypesRule } from "../graphql/operation-types";
import { getSchema } from "../graphql/schema";
import { registerCors } from "./cors";
import { clientErrorHandler, registerErrorHandler } from "./error-handler";
import { registerAdmin } from "./admin";
import { registerPlayground } from "./playground";

// HTTP wiring only: routes, the Apollo handler, the context function, logs.

declare module "fastify" {
  interface FastifyRequest {
    /** Filled in while the request runs, for its log line. */
    graphql: { operationName?: string | null; userId?: number };
  }
}

export interface Server {
  fastify: FastifyInstance;
  apollo: ApolloServer<Context>;
}

export async function createServer(app: App, logger: Logger): Promise<Server> {
  const { config } = app;
  const fastify = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Our own single line per request (onResponse) replaces Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.BODY_LIMIT,
    trustProxy: config.TRUST_PROXY,
    clientErrorHandler,
    // `/graphql/` is the same endpoint as `/graphql`.
    routerOptions: { ignoreTrailingSlash: true },
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
        method: request.method,
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
  await registerCors(fastify, config.CORS_ORIGINS);

  const schema = await getSchema();
  const operationName: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ operationName, contextValue }) {
          contextValue.request.graphql.operationName = operationName;
        },
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
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // No HTTP caching of authenticated answers, so no per-field cache hints:
      // Apollo's default cache-control plugin wraps every resolver for them.
      ApolloServerPluginCacheControlDisabled(),
      fastifyApolloDrainPlugin(fastify),
      operationName,
      ...(limits.plugins as ApolloServerPlugin<Context>[]),
    ],
  });
  await apollo.start();

  const context = async (request: FastifyRequest): Promise<Context> => {
    const key = parseAuthorizationHeader(request.headers.authorization);
    const auth = key === null ? null : await app.services.tokens.authenticate(key);
    if (auth) {
      request.graphql.userId = auth.user.id;
      await app.userThrottle?.hit(auth.user.id);
    }
    return { auth, services: app.services, clientAddress: request.ip, request };
  };
  const graphqlHandler = fastifyApolloHandler(apollo, { context });

  registerPlayground(fastify);
  registerAdmin(fastify);

  fastify.route({
    method: ["GET", "POST"],
    url: "/graphql",
    preHandler: async (request) => {
      // Apollo's CSRF prevention refuses plain GETs. Only queries run over GET
      // (Apollo answers 405 to a mutation) and keys travel in a header that a
      // cross-site page cannot add, so a GET query is marked as safe here;
      // POSTs keep the full check (a text/plain or form POST is refused).
      if (request.method === "GET") request.headers["apollo-require-preflight"] = "true";
    },
    handler: graphqlHandler,
  });
  fastify.options("/graphql", async (_request, reply) => {
    reply.header("allow", "GET, POST, OPTIONS").code(204).send();
  });
  // The resource exists: another method is a 405 naming the allowed ones, not a 404.
  fastify.route({
    method: ["PUT", "PATCH", "DELETE"],
    url: "/graphql",
    handler: async (request, reply) =>
      reply
        .code(405)
        .header("allow", "GET, POST, OPTIONS")
        .send({ errors: [{ message: `Method "${request.method}" not allowed.`, extensions: { code: "METHOD_NOT_ALLOWED" } }] }),
  });

  const sdl = printSchema(schema) + "\n"; // the same text as schema.graphql
  fastify.get("/schema.graphql", async (_request, reply) => {
    reply.type("text/plain; charset=utf-8").send(sdl);
  });
  fastify.route({
    method: ["GET", "HEAD"],
    url: "/healthz",
    handler: async (_request, reply) => reply.send({ status: "ok" }),
  });
  fastify.get("/readyz", async (_request, reply) => {
    try {
      await app.db.prisma.$queryRawUnsafe("SELECT 1");
      return reply.send({ status: "ready" });
    } catch {
      return reply.code(503).send({ status: "unavailable", reason: "the database does not answer" });
    }
  });

  return { fastify, apollo };
}
