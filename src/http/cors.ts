import cors from "@fastify/cors";
import type { FastifyInstance } from "fastify";

// CORS for the origins in CORS_ORIGINS; none by default, and then no CORS
// header is ever sent. Credentials are not needed: keys travel in the
// Authorization header, which a page must add itself.

export async function registerCors(fastify: FastifyInstance, origins: string[]): Promise<void> {
  if (origins.length === 0) return;
  await fastify.register(cors, {
    origin: origins,
    methods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: ["Authorization", "Content-Type", "Apollo-Require-Preflight", "X-Apollo-Operation-Name", "X-Request-Id"],
    exposedHeaders: ["Retry-After", "WWW-Authenticate", "X-Request-Id"],
    maxAge: 600,
    // The OPTIONS /graphql route answers (204 with Allow), after the headers are set;
    // an OPTIONS without Origin is not a preflight and must not be refused.
    preflightContinue: true,
    strictPreflight: false,
  });
}
