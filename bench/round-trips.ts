import "reflect-metadata";
import type { AddressInfo } from "node:net";
import { project } from "./project";
import type { Operation, OperationName } from "./scenarios";

// Database statements per request, counted by the data layer
// (src/db/database.ts: statements.count) while our own server, in this process,
// answers the bench's requests over HTTP. Steady state: one key, already
// used, so the once-a-minute lastUsedAt write is not in the count.

export type RoundTrips = Partial<Record<OperationName, number>>;

export async function countRoundTrips(
  databaseUrl: string,
  ops: Operation[],
  opts: { samples?: number } = {},
): Promise<RoundTrips> {
  const samples = opts.samples ?? 20;
  const { loadConfig } = project.config();
  const config = loadConfig({
    NODE_ENV: "production",
    LOG_LEVEL: "silent",
    DATABASE_URL: databaseUrl,
    LOGIN_RATE: "1000000/min",
    LOGIN_SUCCESS_RATE: "1000000/min",
    TOKEN_LIMIT_PER_USER: "1000000",
  });
  const app = project.app().createApp(config);
  const { fastify } = await project.server().createServer(app, project.logger().createLogger("silent"));
  try {
    await fastify.listen({ host: "127.0.0.1", port: 0 });
    const url = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}/graphql`;
    // Lets the fire-and-forget lastUsedAt writes land before the count is read.
    const settle = () => app.services.tokens.settle();
    const send = async (op: Operation) => {
      const { body, headers } = op.next();
      const res = await fetch(url, { method: "POST", body, headers });
      const text = await res.text();
      if (!res.ok || text.includes('"errors"'))
        throw new Error(`round trips: ${op.name} answered ${res.status} ${text.slice(0, 300)}`);
    };
    const counts: RoundTrips = {};
    for (const op of ops) {
      for (let i = 0; i < 3; i++) await send(op);
      await settle();
      const before = app.db.statements.count;
      const n = op.kdf ? Math.min(samples, 5) : samples;
      for (let i = 0; i < n; i++) await send(op);
      await settle();
      counts[op.name] = (app.db.statements.count - before) / n;
    }
    return counts;
  } finally {
    await fastify.close();
    await app.close();
  }
}
