import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { sendAsset, sendNoncedPage, staticAsset, strictPolicy, type StaticAsset } from "./static-page";

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

interface Loaded {
  assets: Map<string, StaticAsset>;
  /** The page split around its nonce placeholders. */
  pageParts: string[];
}

// Read once per process: every server in the process (tests start many) shares it.
let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded) return loaded;
  const assets = new Map<string, StaticAsset>();
  for (const [name, { path, type }] of Object.entries(SOURCES)) {
    assets.set(name, staticAsset(readFileSync(path), `${type}; charset=utf-8`));
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
 * The one <style> GraphiQL adds at run time (react-remove-scroll, for
 * dialogs) carries the nonce. Fonts and the favicon are data: URIs in
 * GraphiQL's CSS. GraphiQL 3's UMD build never evaluates strings.
 */
const policy = (nonce: string) => strictPolicy(nonce, { fonts: "'self' data:" });

function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? "";
  return /(^|,)\s*text\/html\s*(;|,|$)/i.test(accept);
}

function sendPage(reply: FastifyReply): FastifyReply {
  return sendNoncedPage(reply, load().pageParts, policy, { vary: "Accept" });
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
    // A versioned URL never changes content; an unversioned one is revalidated.
    return sendAsset(request, reply, asset, v === asset.version ? "public, max-age=31536000, immutable" : "no-cache");
  });
}
