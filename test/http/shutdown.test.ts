import net from "node:net";
import { freshDatabaseUrl, testDatabase } from "../support/databases";
import { print } from "graphql";
import { RegisterDocument } from "../generated/graphql";
import { startProcess, type ServerProcess } from "../support/processes";
import { RawConnection, postText } from "../support/raw-http";

// SIGTERM under load, on the built server (`node dist/main.js`), one process
// and a WEB_CONCURRENCY=2 cluster. In flight at the signal: idle keep-alive
// connections, keep-alive connections busy with a request whose body is
// still arriving, and a fresh connection whose body is still arriving.
//
// Allowed, exactly:
// - every idle keep-alive connection is closed by the server (a clean end,
//   no reset) within 3 s of the signal;
// - new connections are refused within 3 s of the signal;
// - every request already received is answered 200 with its real result,
//   with `Connection: close`, once its body is complete (sent 1.5 s after
//   the signal), and its connection then ends cleanly;
// - the process exits 0 within 10 s of the signal, with SHUTDOWN_TIMEOUT=60s.

jest.setTimeout(180_000);

const PASSWORD = "a long enough passphrase 1";
const IDLE = 4;
const BUSY = 2;

function registerBody(username: string): string {
  return JSON.stringify({
    query: print(RegisterDocument),
    variables: { input: { username, email: `${username}@example.com`, password: PASSWORD } },
  });
}

/** Writes a POST whose body stops halfway; returns the rest to send later. */
function startSlowPost(conn: RawConnection, body: string): string {
  const text = postText(body);
  const cut = text.length - Math.floor(body.length / 2);
  conn.write(text.slice(0, cut));
  return text.slice(cut);
}

function connectionRefused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    // Left running, the deadline would keep the jest worker alive for seconds after the test.
    clearTimeout(timer);
  }
}

describe.each([1, 2])(`SIGTERM under load, WEB_CONCURRENCY=%i (${testDatabase()})`, (workers) => {
  let server: ServerProcess;
  const conns: RawConnection[] = [];
  afterAll(async () => {
    for (const c of conns) c.destroy();
    await server?.stop("SIGKILL");
  });

  it("closes idle connections at once, answers every request already received with Connection: close, and exits 0", async () => {
    server = await startProcess({
      DATABASE_URL: await freshDatabaseUrl(),
      WEB_CONCURRENCY: String(workers),
      MIGRATE_ON_START: "false",
      SHUTDOWN_TIMEOUT: "60s",
      // As deployed: outside NODE_ENV=test, Apollo would install signal handlers of its own.
      NODE_ENV: "production",
      LOG_LEVEL: "info",
    });

    // Idle keep-alive connections: one answered request each.
    const idle = await Promise.all(Array.from({ length: IDLE }, () => RawConnection.open(server.url)));
    conns.push(...idle);
    for (const c of idle) {
      c.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
      const res = await c.read();
      expect(res.status).toBe(200);
      expect(res.headers.connection).toBe("keep-alive");
    }

    // Busy keep-alive connections: one answered request, then a sign-up whose body stops halfway.
    const busy = await Promise.all(Array.from({ length: BUSY }, () => RawConnection.open(server.url)));
    conns.push(...busy);
    const busyRest: string[] = [];
    for (const [i, c] of busy.entries()) {
      c.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
      expect((await c.read()).headers.connection).toBe("keep-alive");
      busyRest.push(startSlowPost(c, registerBody(`busy${i}`)));
    }

    // A fresh connection whose first request's body stops halfway.
    const fresh = await RawConnection.open(server.url);
    conns.push(fresh);
    const freshRest = startSlowPost(fresh, registerBody("fresh"));
    // In flight at the signal: the server has read the first half of each.
    await Promise.all([...busy, fresh].map((c) => c.readByServer()));

    const signalled = Date.now();
    const exited = server.stop("SIGTERM");

    await within(Promise.all(idle.map((c) => c.closed)), 3000, "idle keep-alive connections closed");
    expect(idle.map((c) => c.closedBy)).toEqual(Array(IDLE).fill("end"));

    let refused = false;
    while (!refused && Date.now() - signalled < 3000) {
      refused = await connectionRefused(server.url);
      if (!refused) await new Promise((r) => setTimeout(r, 100));
    }
    expect(refused).toBe(true);

    // The bodies complete well after the signal.
    await new Promise((r) => setTimeout(r, Math.max(0, signalled + 1500 - Date.now())));
    for (const [i, c] of busy.entries()) c.write(busyRest[i]!);
    fresh.write(freshRest);

    for (const [c, username] of [...busy.map((c, i) => [c, `busy${i}`] as const), [fresh, "fresh"] as const]) {
      const res = await c.read();
      expect(res.status).toBe(200);
      expect(res.headers.connection).toBe("close");
      const body = JSON.parse(res.body) as { data: { register: { token: string } } };
      expect(body.data.register.token).toMatch(/^[0-9a-f]{40}$/);
      await within(c.closed, 3000, `${username}'s connection closed after its answer`);
      expect(c.closedBy).toBe("end");
    }

    expect(await within(exited, 10_000 - (Date.now() - signalled), "exit after SIGTERM")).toBe(0);
    const elapsed = Date.now() - signalled;
    expect(elapsed).toBeLessThan(10_000);
    expect(server.output()).not.toMatch(/shutdown timed out|did not stop in time/);
  });
});
