import type { FastifyInstance, FastifyRequest, preParsingHookHandler } from "fastify";
import { isIPv6 } from "node:net";
import { ApiError, MESSAGES, UnauthenticatedError } from "../shared/errors";

// Plain-HTTP rules every request meets before any route's own work: a usable
// Host, HEAD answered as GET without the body, one Authorization header, and
// Cache-Control on /graphql. Kept apart from the GraphQL wiring in server.ts.

const GRAPHQL = "/graphql";
const HEAD = Symbol("head");

type RawWithHead = FastifyRequest["raw"] & { [HEAD]?: true };

/** The method the client sent (a HEAD runs as a GET inside; see registerRequestChecks). */
export function sentMethod(request: FastifyRequest): string {
  return (request.raw as RawWithHead)[HEAD] ? "HEAD" : request.method;
}

// RFC 3986's host (IP-literal, or IPv4 / reg-name with percent-encodings) and
// an optional port, as RFC 9110's Host takes them.
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+)(?::\d*)?$/;

/**
 * Verdicts by their input: building a URL is costly next to a lookup, and
 * every request needs two or three with the same few hosts (figures in
 * BENCHMARKS.md). Bounded: emptied when full, so odd hosts cannot grow it.
 */
function remembered(test: (key: string) => boolean, max = 256): (key: string) => boolean {
  const known = new Map<string, boolean>();
  return (key) => {
    let verdict = known.get(key);
    if (verdict === undefined) {
      verdict = test(key);
      if (known.size >= max) known.clear();
      known.set(key, verdict);
    }
    return verdict;
  };
}

function parses(url: string, base?: string): boolean {
  try {
    new URL(url, base);
    return true;
  } catch {
    return false;
  }
}

const hostBuildsUrl = remembered((host) => parses(`http://${host}/`));

/** True when `host` is one Host value a URL can be built from. */
export function usableHost(host: string | undefined): boolean {
  if (host === undefined || host.length > 300 || !HOST.test(host)) return false;
  if (host.startsWith("[") && !isIPv6(host.slice(1, host.indexOf("]")))) return false;
  return hostBuildsUrl(host);
}

function countHeader(request: FastifyRequest, name: string): number {
  const raw = request.raw.rawHeaders;
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) n++;
  return n;
}

export function registerRequestChecks(fastify: FastifyInstance): void {
  // A refusal here is thrown, and answered by the error handler (error-handler.ts).
  fastify.addHook("onRequest", async (request) => {
    // RFC 9110: HEAD answers what GET would, without the body. Fastify routes
    // a HEAD to a copy of the GET route; every hook and handler after this one
    // (the playground's Accept check, Apollo's GET handling) then sees a GET,
    // while Node, which made the response for a HEAD, never writes its body.
    if (request.raw.method === "HEAD") {
      (request.raw as RawWithHead)[HEAD] = true;
      request.raw.method = "GET";
    }

    // Without a usable Host (HTTP/1.0 may omit it; `a b`, `[::1`, `%zz`) no URL
    // can be made of the request: a client error, before anything reads it.
    // Apollo's integration builds one from Fastify's host and protocol (from
    // X-Forwarded-Host/-Proto behind a trusted proxy), so those are checked too.
    if (
      countHeader(request, "host") !== 1 ||
      !usableHost(request.headers.host) ||
      !usableHost(request.host) ||
      !buildsUrl(request)
    ) {
      throw new ApiError("BAD_REQUEST", MESSAGES.noHost);
    }

    if (request.routeOptions.url === GRAPHQL && countHeader(request, "authorization") > 1) {
      // Node keeps the first of two Authorization headers and drops the other;
      // DRF behind a WSGI server sees them joined ("Token a,Token b") and
      // answers with its header message. Either way, never pick one silently.
      throw new UnauthenticatedError(MESSAGES.spaces);
    }
  });

  fastify.addHook("onSend", async (request, reply) => {
    // The answer is made: a HEAD again, so Fastify keeps GET's Content-Length.
    if ((request.raw as RawWithHead)[HEAD]) request.raw.method = "HEAD";
    // An answer about the caller's own data must not be kept by any cache.
    if (request.routeOptions.url === GRAPHQL) reply.header("cache-control", "no-store");
  });
}

// Keyed by base and path joined with a space, which neither can contain.
const pathBuildsUrl = remembered((key) => {
  const space = key.indexOf(" ");
  return parses(key.slice(space + 1), key.slice(0, space));
});

function buildsUrl(request: FastifyRequest): boolean {
  const base = `${request.protocol}://${request.host}/`;
  // Paths with a query string vary per request: only the usual ones are remembered.
  return request.url.includes("?") ? parses(request.url, base) : pathBuildsUrl(`${base} ${request.url}`);
}

/**
 * For /graphql's methods that take no GraphQL body (OPTIONS, and the 405s):
 * their answer never depends on a body, so none is parsed, whatever its
 * content type (`Content-Type: application/json` with no body must not turn
 * an OPTIONS into a 400). Node discards the unread body once the answer is sent.
 */
export const ignoreBody: preParsingHookHandler = async (request) => {
  request.headers["content-type"] = undefined;
  request.headers["content-length"] = undefined;
  request.headers["transfer-encoding"] = undefined;
};
