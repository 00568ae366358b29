import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";

// The playground: GraphiQL 3's UMD build with React 18's, served from the
// installed packages (no CDN, nothing leaves the host), plus our own small
// page and script under src/http/playground/.

/** The project root, from src/http (ts-jest, swc) and from dist/http (npm start) alike. */
const ROOT = join(__dirname, "..", "..");
const OWN_FILES = join(ROOT, "src", "http", "playground");
const ASSET_PREFIX = "/playground/assets/";

function packageFile(pkg: string, file: string): string {
  return join(dirname(require.resolve(`${pkg}/package.json`, { paths: [ROOT] })), file);
}

const SOURCES: Record<string, { path: string; type: string }> = {
  "react.production.min.js": { path: packageFile("react", "umd/react.production.min.js"), type: "text/javascript" },
  "react-dom.production.min.js": {
    path: packageFile("react-dom", "umd/react-dom.production.min.js"),
    type: "text/javascript",
  },
  "graphiql.min.js": { path: packageFile("graphiql", "graphiql.min.js"), type: "text/javascript" },
  "graphiql.min.css": { path: packageFile("graphiql", "graphiql.min.css"), type: "text/css" },
  "playground.js": { path: join(OWN_FILES, "playground.js"), type: "text/javascript" },
  "playground.css": { path: join(OWN_FILES, "playground.css"), type: "text/css" },
};

interface Asset {
  body: Buffer;
  gzipped?: Buffer;
  type: string;
  etag: string;
  /** Short content hash used as ?v= in the page, so the URL can be cached for good. */
  version: string;
}

interface Loaded {
  assets: Map<string, Asset>;
  /** The page split around its nonce placeholders. */
  pageParts: string[];
}

// Read once per process: every server in the process (tests start many) shares it.
let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded) return loaded;
  const assets = new Map<string, Asset>();
  for (const [name, { path, type }] of Object.entries(SOURCES)) {
    const body = readFileSync(path);
    const hash = createHash("sha256").update(body).digest("base64url");
    assets.set(name, {
      body,
      type: `${type}; charset=utf-8`,
      etag: `"${hash.slice(0, 27)}"`,
      version: hash.slice(0, 12),
    });
  }
  const html = readFileSync(join(OWN_FILES, "index.html"), "utf8").replace(
    /\{\{asset:([\w.-]+)\}\}/g,
    (_m, name: string) => {
      const asset = assets.get(name);
      if (!asset) throw new Error(`playground: index.html names an unknown asset ${name}`);
      return `${ASSET_PREFIX}${name}?v=${asset.version}`;
    },
  );
  loaded = { assets, pageParts: html.split("{{nonce}}") };
  return loaded;
}

/**
 * The page's policy: scripts and styles only from this server; the one
 * <style> GraphiQL adds at run time (react-remove-scroll, for dialogs) carries
 * the nonce. Fonts and the favicon are data: URIs in GraphiQL's CSS.
 * No 'unsafe-eval': GraphiQL 3's UMD build never evaluates strings.
 */
function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "font-src 'self' data:",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? "";
  return /(^|,)\s*text\/html\s*(;|,|$)/i.test(accept);
}

function sendPage(reply: FastifyReply): FastifyReply {
  const nonce = randomBytes(16).toString("base64");
  return reply
    .code(200)
    .header("content-type", "text/html; charset=utf-8")
    .header("content-security-policy", contentSecurityPolicy(nonce))
    .header("cache-control", "no-store")
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("vary", "Accept")
    .send(load().pageParts.join(nonce));
}

/** GET /playground, GET /graphql for browsers, and the page's assets. */
export function registerPlayground(fastify: FastifyInstance): void {
  load(); // fail at start, not at the first visit, when a file is missing

  fastify.get("/playground", async (_request, reply) => sendPage(reply));

  // A browser opening /graphql gets the page; every other GET (httpie, curl,
  // fetch, or a browser following a ?query= link) still runs the query.
  fastify.addHook("onRequest", async (request, reply) => {
    if (request.method !== "GET") return;
    const [path, search = ""] = request.url.split("?", 2);
    if (path !== "/graphql") return;
    reply.header("vary", "Accept");
    if (wantsHtml(request) && !new URLSearchParams(search).has("query")) return sendPage(reply);
  });

  fastify.get(`${ASSET_PREFIX}:file`, async (request, reply) => {
    const { file } = request.params as { file: string };
    const asset = load().assets.get(file);
    if (!asset) {
      return reply.code(404).type("text/plain; charset=utf-8").send(`No playground asset ${file}.`);
    }
    const { v } = request.query as { v?: string };
    reply
      .header("content-type", asset.type)
      .header("etag", asset.etag)
      .header("x-content-type-options", "nosniff")
      .header("vary", "Accept-Encoding")
      // A versioned URL never changes content; an unversioned one is revalidated.
      .header("cache-control", v === asset.version ? "public, max-age=31536000, immutable" : "no-cache");
    if (request.headers["if-none-match"] === asset.etag) return reply.code(304).send();
    if (/\bgzip\b/.test(request.headers["accept-encoding"] ?? "")) {
      asset.gzipped ??= gzipSync(asset.body);
      return reply.header("content-encoding", "gzip").send(asset.gzipped);
    }
    return reply.send(asset.body);
  });
}
