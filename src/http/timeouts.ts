import type { ServerOptions } from "node:http";
import type { Config } from "../config/config";

// Slow clients. Fastify sets no bound on the time a request may take to
// arrive (requestTimeout 0), so a client sending its body a byte every few
// seconds held a connection for as long as it liked: hundreds of them hold
// as many sockets and parsers. Node's own bounds do the work, through the
// documented options: requestTimeout for the whole request, headers
// included (headersTimeout, Node's bound on the headers alone, is set to the
// same, since it may not exceed it), and keepAliveTimeout for an idle
// connection between requests. Node compares the requests in progress with
// the bound on a timer, every connectionsCheckingInterval (30 s by default,
// which would let a request run up to twice a 30 s bound): once a second.
// A request past the bound gets 408 with the contract's error shape and its
// connection is closed (clientErrorHandler in error-handler.ts).

const CHECK_EVERY_MS = 1000;

export function timeoutOptions(config: Pick<Config, "REQUEST_TIMEOUT" | "KEEP_ALIVE_TIMEOUT">): {
  requestTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
} {
  const requestTimeout = config.REQUEST_TIMEOUT * 1000;
  return {
    requestTimeout,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT * 1000,
    http: { requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: CHECK_EVERY_MS },
  };
}
