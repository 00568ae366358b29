import type { FastifyInstance, FastifyReply } from "fastify";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { extname, join } from "node:path";
import { gzipSync } from "node:zlib";

// The staff admin (react-admin), built by Vite into admin/dist when the
// project is installed (postinstall) and served from there as it is: the
// server never builds anything at request time. Asset names carry Vite's
// content hash, so they are cached for good. The page talks to /graphql only.

/** The project root, from src/http (tests) and from dist/http (npm start) alike. */
const ROOT = join(__dirname, "..", "..");
const DIST = join(ROOT, "admin", "dist");
const ASSET_PREFIX = "/admin/assets/";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

interface Asset {
  body: Buffer;
  gzipped?: Buffer;
  type: string;
  etag: string;
}

type Loaded = { assets: Map<string, Asset>; pageParts: string[] } | { missing: string };

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded) return loaded;
  const page = join(DIST, "index.html");
  if (!existsSync(page)) {
    loaded = { missing: "The admin is not built: run `npm run build:admin` (npm install does it)." };
    return loaded;
  }
  const assets = new Map<string, Asset>();
  const dir = join(DIST, "assets");
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    const hash = createHash("sha256").update(body).digest("base64url");
    assets.set(name, { body, type, etag: `"${hash.slice(0, 27)}"` });
  }
  const html = readFileSync(page, "utf8");
  if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html)) throw new Error("admin/dist/index.html has an inline script");
  loaded = { assets, pageParts: html.split("{{nonce}}") };
  return loaded;
}

/**
 * Scripts and styles only from this server; the <style> tags MUI's emotion
 * adds at run time carry the nonce (read from <meta name="csp-nonce">).
 * connect-src 'self': the page's one API is /graphql on this server.
 */
function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "font-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

function sendPage(reply: FastifyReply): FastifyReply {
  const page = load();
  if ("missing" in page)
    return reply.code(503).type("text/plain; charset=utf-8").header("cache-control", "no-store").send(page.missing);
  const nonce = randomBytes(16).toString("base64");
  return reply
    .code(200)
    .header("content-type", "text/html; charset=utf-8")
    .header("content-security-policy", contentSecurityPolicy(nonce))
    .header("cache-control", "no-store")
    .header("x-content-type-options", "nosniff")
    .header("x-frame-options", "DENY")
    .header("referrer-policy", "no-referrer")
    .send(page.pageParts.join(nonce));
}

/** GET /admin (the page; its routes live after #) and its hashed assets. */
export function registerAdmin(fastify: FastifyInstance): void {
  load();

  fastify.get("/admin", async (_request, reply) => sendPage(reply));

  fastify.get(`${ASSET_PREFIX}:file`, async (request, reply) => {
    const { file } = request.params as { file: string };
    const page = load();
    const asset = "missing" in page ? undefined : page.assets.get(file);
    if (!asset) return reply.code(404).type("text/plain; charset=utf-8").send(`No admin asset ${file}.`);
    reply
      .header("content-type", asset.type)
      .header("etag", asset.etag)
      .header("x-content-type-options", "nosniff")
      .header("vary", "Accept-Encoding")
      .header("cache-control", "public, max-age=31536000, immutable");
    if (request.headers["if-none-match"] === asset.etag) return reply.code(304).send();
    if (/\bgzip\b/.test(request.headers["accept-encoding"] ?? "")) {
      asset.gzipped ??= gzipSync(asset.body);
      return reply.header("content-encoding", "gzip").send(asset.gzipped);
    }
    return reply.send(asset.body);
  });
}
