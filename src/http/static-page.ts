import type { FastifyReply, FastifyRequest } from "fastify";
import { createHash, randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";

// What the playground and the admin share: pages served with a fresh nonce
// and a strict Content-Security-Policy, and hashed assets read once.

export interface StaticAsset {
  body: Buffer;
  gzipped?: Buffer;
  type: string;
  etag: string;
  /** Short content hash, for a ?v= that lets a URL be cached for good. */
  version: string;
}

export function staticAsset(body: Buffer, type: string): StaticAsset {
  const hash = createHash("sha256").update(body).digest("base64url");
  return { body, type, etag: `"${hash.slice(0, 27)}"`, version: hash.slice(0, 12) };
}

/**
 * Scripts and styles only from this server; the <style> tags a page's
 * framework adds at run time carry the nonce. No 'unsafe-inline', no
 * 'unsafe-eval'. `fonts` and `extra` widen only what a page needs.
 */
export function strictPolicy(nonce: string, opts: { fonts: string; extra?: string[] }): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    `font-src ${opts.fonts}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    ...(opts.extra ?? []),
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The page split around its {{nonce}} placeholders, sent with a fresh nonce and its policy. */
export function sendNoncedPage(
  reply: FastifyReply,
  pageParts: string[],
  policy: (nonce: string) => string,
  headers: Record<string, string> = {},
): FastifyReply {
  const nonce = randomBytes(16).toString("base64");
  reply
    .code(200)
    .header("content-type", "text/html; charset=utf-8")
    .header("content-security-policy", policy(nonce))
    .header("cache-control", "no-store")
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer");
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  return reply.send(pageParts.join(nonce));
}

/** An asset with its ETag (304 when it matches), gzipped when the client takes it. */
export function sendAsset(
  request: FastifyRequest,
  reply: FastifyReply,
  asset: StaticAsset,
  cacheControl: string,
): FastifyReply {
  reply
    .header("content-type", asset.type)
    .header("etag", asset.etag)
    .header("x-content-type-options", "nosniff")
    .header("vary", "Accept-Encoding")
    .header("cache-control", cacheControl);
  if (request.headers["if-none-match"] === asset.etag) return reply.code(304).send();
  if (/\bgzip\b/.test(request.headers["accept-encoding"] ?? "")) {
    asset.gzipped ??= gzipSync(asset.body);
    return reply.header("content-encoding", "gzip").send(asset.gzipped);
  }
  return reply.send(asset.body);
}
