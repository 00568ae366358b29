import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { createHash, timingSafeEqual } from "node:crypto";
import type { MetricsSource } from "../metrics/cluster";
import { ApiError, MESSAGES, UnauthenticatedError } from "../shared/errors";
import { registerErrorHandler, sendError } from "./error-handler";

// GET /metrics (METRICS): on its own listener (`port:`), or on the public
// port (`bearer`), where only a request carrying METRICS_TOKEN is answered.
// Never on the public port without that secret.

const sha256 = (text: string) => createHash("sha256").update(text).digest();

/**
 * Serves `source` at GET (and HEAD) /metrics. With `token`, a request must
 * send `Authorization: Bearer <token>`, compared in constant time (digests
 * of equal length), or it gets 401 and nothing else.
 */
export function registerMetricsRoute(fastify: FastifyInstance, source: MetricsSource, token?: string): void {
  const expected = token === undefined ? undefined : sha256(token);
  fastify.get("/metrics", async (request, reply) => {
    void reply.header("cache-control", "no-store");
    if (expected) {
      const refusal = bearerRefusal(request.headers.authorization, expected);
      if (refusal) {
        // Its own scheme: the secret is a bearer token, not an API key.
        return sendError(reply, new UnauthenticatedError(refusal), { "www-authenticate": 'Bearer realm="metrics"' });
      }
    }
    let text: string;
    try {
      text = await source.scrape();
    } catch (e) {
      // A worker that does not answer the primary in time (prom-client waits 5 s).
      request.log.warn({ err: e }, "metrics: scrape failed");
      return sendError(reply, new ApiError("SERVICE_UNAVAILABLE", MESSAGES.metricsUnavailable));
    }
    return reply.type(source.contentType).send(text);
  });
}

/** Null when the header carries the secret; otherwise the refusal's message. */
function bearerRefusal(header: string | undefined, expected: Buffer): string | null {
  if (header === undefined || header.trim() === "") return MESSAGES.notAuthenticated;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match && timingSafeEqual(sha256(match[1]!), expected) ? null : MESSAGES.invalidToken;
}

export interface MetricsListener {
  /** http://host:port, as bound (port:0 picks a free port). */
  address: string;
  close(): Promise<void>;
}

/** METRICS=port:...: a listener of its own, serving only /metrics. */
export async function listenForMetrics(
  where: { host: string; port: number },
  source: MetricsSource,
  token: string | undefined,
  logger: FastifyBaseLogger,
): Promise<MetricsListener> {
  const fastify = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  registerErrorHandler(fastify);
  registerMetricsRoute(fastify, source, token);
  const address = await fastify.listen(where).catch((e: NodeJS.ErrnoException) => {
    throw new Error(listenProblem(e, where));
  });
  return { address, close: () => fastify.close() };
}

function listenProblem(e: NodeJS.ErrnoException, { host, port }: { host: string; port: number }): string {
  switch (e.code) {
    case "EADDRINUSE":
      return `METRICS: port ${port} is already in use on ${host}`;
    case "EACCES":
      return `METRICS: no permission to listen on port ${port}`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
      return `METRICS: "${host}" does not resolve to an address`;
    case "EADDRNOTAVAIL":
      return `METRICS: "${host}" is not an address of this machine`;
    default:
      return `METRICS: cannot listen on ${host}:${port}: ${e.message}`;
  }
}
