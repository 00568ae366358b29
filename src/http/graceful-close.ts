import type { FastifyInstance } from "fastify";

// Shutdown without dropping anything already sent to us. On close: the
// listening socket closes (a cluster worker leaves the primary's rotation),
// idle keep-alive connections are closed at once (Node's server.close()),
// every request already received is answered, bodies still arriving included,
// with `Connection: close`, so its connection ends with the answer, and
// Apollo stops only when no request is left.

/** Returns the close function; calling it again returns the same promise. */
export function registerGracefulClose(
  fastify: FastifyInstance,
  apollo: { stop(): Promise<void> },
): () => Promise<void> {
  let closing = false;

  fastify.addHook("onSend", async (_request, reply) => {
    if (closing) reply.header("connection", "close");
  });
  fastify.addHook("onResponse", async () => {
    // An answer whose headers went out just before the close began kept its
    // connection alive: close it as soon as it is idle again.
    if (closing) setImmediate(() => fastify.server.closeIdleConnections());
  });

  let done: Promise<void> | undefined;
  return () => {
    done ??= (async () => {
      closing = true;
      // Node's server.close() also ends every connection it counts as idle,
      // and a connection accepted but not yet read counts as idle: a request
      // already sent would be reset. Two turns of the event loop first accept
      // what waits in the listen backlog and read what waits in the sockets,
      // so those requests are in flight, and answered, when the close begins.
      for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
      // Resolves once every connection has ended.
      await fastify.close();
      await apollo.stop();
    })();
    return done;
  };
}
