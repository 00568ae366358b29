import { AsyncLocalStorage } from "node:async_hooks";
import type { MiddlewareFn } from "type-graphql";
import type { Context } from "../graphql/context";

// Where an event comes from: the request being served (its client, its
// user), found through the async context rather than passed down every
// service method, so that each place an event happens says only what
// happened (AuditTrail.record). The scope is opened only around the root
// fields that record events (`@UseMiddleware(RecordsOrigin)` next to each
// resolver), and the async context is switched off again whenever no such
// field is running: on Node 20 it costs every promise of every request while
// on (measured in BENCHMARKS.md). Outside one
// (a manage command, a test calling a service), the trail's own default
// actor is used.

/** Who did something: a user, or a manage command (id null). */
export interface Party {
  id: number | null;
  name: string | null;
}

export interface Origin {
  /** The authenticated user of the request; absent for an anonymous one. */
  actor?: Party;
  clientAddress?: string;
  userAgent?: string;
  requestId?: string;
}

const scope = new AsyncLocalStorage<() => Origin>();

/**
 * Runs `run` with `origin` as the origin of every event it records. The
 * origin is read when an event is recorded, so what the request learns on
 * the way (who its key belongs to) is seen.
 */
export async function withOrigin<T>(origin: () => Origin, run: () => T | Promise<T>): Promise<T> {
  running++;
  try {
    return await scope.run(origin, run);
  } finally {
    // No field that records is running: the async context's hooks go off
    // (they stay on while any instance is enabled).
    if (--running === 0) scope.disable();
  }
}

/** Root fields under withOrigin right now. */
let running = 0;

/** The origin of a GraphQL request: its user (once its key is known), client address, User-Agent and id. */
function originOf({ request, auth }: Context): Origin {
  const agent = request.headers["user-agent"];
  return {
    actor: auth ? { id: auth.user.id, name: auth.user.username } : undefined,
    clientAddress: request.ip,
    userAgent: typeof agent === "string" ? agent : undefined,
    requestId: request.id,
  };
}

/** For each root field that records audit events: what it records comes from this request. */
export const RecordsOrigin: MiddlewareFn<Context> = ({ context }, next) => withOrigin(() => originOf(context), next);

/** The origin of the request being served, if any. */
export function currentOrigin(): Origin | undefined {
  return scope.getStore()?.();
}
