import type { FastifyInstance, FastifyReply } from "fastify";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { extname, join } from "node:path";
import { sendAsset, sendNoncedPage, staticAsset, strictPolicy, type StaticAsset } from "./static-page";

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

type Loaded = { assets: Map<string, StaticAsset>; pageParts: string[] } | { missing: string };

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded) return loaded;
  const page = join(DIST, "index.html");
  if (!existsSync(page)) {
    loaded = { missing: "The admin is not built: run `npm run build:admin` (npm install does it)." };
    return loaded;
  }
  const assets = new Map<string, StaticAsset>();
  const dir = join(DIST, "assets");
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    assets.set(name, staticAsset(readFileSync(join(dir, name)), type));
  }
  const html = readFileSync(page, "utf8");
  if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html)) throw new Error("admin/dist/index.html has an inline script");
  loaded = { assets, pageParts: html.split("{{nonce}}") };
  return loaded;
}

/**
 * The <style> tags MUI's emotion adds at run time carry the nonce (read from
 * <meta name="csp-nonce">); fonts are the system's or this server's.
 */
const policy = (nonce: string) => strictPolicy(nonce, { fonts: "'self'", extra: ["manifest-src 'self'"] });

function sendPage(reply: FastifyReply): FastifyReply {
  const page = load();
  if ("missing" in page)
    return reply.code(503).type("text/plain; charset=utf-8").header("cache-control", "no-store").send(page.missing);
  return sendNoncedPage(reply, page.pageParts, policy, { "x-frame-options": "DENY" });
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
    // Vite's names carry the content hash: a name never changes content.
    return sendAsset(request, reply, asset, "public, max-age=31536000, immutable");
  });
}
