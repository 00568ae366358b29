import type { FastifyServerOptions } from "fastify";
import type { TrustProxy } from "../config/config";

/**
 * TRUST_PROXY as Fastify's `trustProxy`. proxy-addr walks the addresses from
 * the socket's (index 0) leftwards through X-Forwarded-For and stops at the
 * first one not trusted: that is the client, so the left-most entries, which
 * the client writes itself, are never read past a trusted hop.
 *
 * A hop count becomes a function: Fastify 5 turns a plain number into "trust
 * nothing", since a client that reaches the server directly could add hops of
 * its own. The README says to use a count only when the server is reachable
 * through its proxies alone, and addresses otherwise.
 */
export function trustProxyOption(setting: TrustProxy): FastifyServerOptions["trustProxy"] {
  if (setting === false) return false;
  if (typeof setting === "number") return (_address: string, hop: number) => hop < setting;
  return setting;
}
