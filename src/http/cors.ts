import cors from "@fastify/cors";
import type { FastifyInstance } from "fastify";

// CORS: any origin by default (`Access-Control-Allow-Origin: *`), or only the
// origins in CORS_ORIGINS. Never with credentials: keys travel in the
// Authorization header, which a page must add itself, never in cookies, so a
// page on another origin can do nothing its user's browser does not already
// let it, and no ambient credential rides along. Apollo's CSRF prevention
// stays on either way.

export async function registerCors(fastify: FastifyInstance, origins: string[]): Promise<void> {
  await fastify.register(cors, {
    origin: origins.length === 0 ? "*" : origins,
    credentials: false,
    methods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: [
      "Authorization",
      "Content-Type",
      "Apollo-Require-Preflight",
      "X-Apollo-Operation-Name",
      "X-Request-Id",
    ],
    exposedHeaders: ["Retry-After", "WWW-Authenticate", "X-Request-Id"],
    maxAge: 600,
    // The OPTIONS /graphql route answers (204 with Allow), after the headers are set;
    // an OPTIONS without Origin is not a preflight and must not be refused.
    preflightContinue: true,
    strictPreflight: false,
  });
}
