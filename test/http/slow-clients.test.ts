import { ConfigError, loadConfig } from "../../src/config/config";
import { TypenameDocument } from "../generated/graphql";
import { RawConnection, parseResponse } from "../support/raw-http";
import { freshDatabaseUrl } from "../support/databases";
import { startProcess, stopCleanly } from "../support/processes";
import { runAt, startServer, type TestServer } from "../support/server";

// REQUEST_TIMEOUT bounds the time a client may take to send a whole request,
// headers and body; KEEP_ALIVE_TIMEOUT the time a connection may sit idle
// between requests. Real sockets trickle a byte at a time, as a slowloris
// client does, while an ordinary client keeps calling the server. Short
// bounds here (2 s and 1 s) through the settings; the defaults are 30 s and 72 s.

const BOUND_MS = 2000;
const KEEP_ALIVE_MS = 1000;
/**
 * Node checks the connections for the request bound once a second (see
 * src/http/timeouts.ts): a connection is closed at most that long after the
 * bound, plus whatever a loaded machine adds. Without a bound they stayed
 * open for minutes; LATE_MS only has to tell the two apart.
 */
const LATE_MS = 1000 + 8000;
const TRICKLERS = 100;
const TIMEOUT_BODY = {
  errors: [{ message: "The request took too long to arrive.", extensions: { code: "REQUEST_TIMEOUT" } }],
};

describe("settings", () => {
  it("REQUEST_TIMEOUT defaults to 30s and KEEP_ALIVE_TIMEOUT to 72s; both take durations up to an hour", () => {
    expect(loadConfig({}).REQUEST_TIMEOUT).toBe(30);
    expect(loadConfig({}).KEEP_ALIVE_TIMEOUT).toBe(72);
    expect(loadConfig({ REQUEST_TIMEOUT: "90s", KEEP_ALIVE_TIMEOUT: "5s" })).toMatchObject({
      REQUEST_TIMEOUT: 90,
      KEEP_ALIVE_TIMEOUT: 5,
    });
    expect(loadConfig({ REQUEST_TIMEOUT: "60m" }).REQUEST_TIMEOUT).toBe(3600);
  });

  it.each([
    ["REQUEST_TIMEOUT", "0"],
    ["REQUEST_TIMEOUT", "30"],
    ["REQUEST_TIMEOUT", "2h"],
    ["KEEP_ALIVE_TIMEOUT", "0s"],
    ["KEEP_ALIVE_TIMEOUT", "61m"],
  ])("refuses %s=%j with one line naming it", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name}: [^\\n]+$`));
  });
});

/** A connection that sends `head`, then one byte of `rest` every `everyMs`, and records how it ends. */
async function trickle(url: string, head: string, rest: string, everyMs: number) {
  const conn = await RawConnection.open(url);
  const opened = performance.now();
  let received = Buffer.alloc(0);
  conn.socket.on("data", (d: Buffer) => (received = Buffer.concat([received, d])));
  conn.write(head);
  let sent = 0;
  const timer = setInterval(() => {
    if (conn.closedBy !== null || sent >= rest.length) return;
    conn.write(rest[sent++]!);
  }, everyMs);
  await conn.closed;
  clearInterval(timer);
  const closedAt = performance.now();
  return { closedAt, afterMs: closedAt - opened, bytesSent: sent, answer: parseResponse(received)?.response ?? null };
}

/** A server under test: in this process, or `npm start`'s processes. */
interface Target {
  url: string;
  typename(): Promise<{ status: number; body: unknown }>;
  close(): Promise<unknown>;
}

const SETTINGS = { REQUEST_TIMEOUT: `${BOUND_MS / 1000}s`, KEEP_ALIVE_TIMEOUT: `${KEEP_ALIVE_MS / 1000}s` };

async function inProcess(): Promise<Target & { server: TestServer }> {
  const server = await startServer(SETTINGS);
  return { server, url: server.url, typename: () => server.run(TypenameDocument), close: () => server.close() };
}

/** WEB_CONCURRENCY=2: the primary hands each connection to a worker, whose own bounds apply. */
async function twoWorkers(): Promise<Target> {
  const server = await startProcess({ ...SETTINGS, DATABASE_URL: await freshDatabaseUrl(), WEB_CONCURRENCY: "2" });
  return { url: server.url, typename: () => runAt(server.url, TypenameDocument), close: () => stopCleanly(server) };
}

/**
 * TRICKLERS connections send a body a byte every 200 ms while an ordinary
 * client keeps calling: each trickler gets 408 once the bound has passed,
 * and the ordinary client is answered while all of them are still open.
 */
async function trickleWhileServing(target: Target) {
  const body = JSON.stringify({ query: "{ __typename }" }).padEnd(1000);
  const head = `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  // Warm: the first request (of each worker) compiles what the others reuse.
  for (let i = 0; i < 4; i++) expect((await target.typename()).status).toBe(200);
  const started = performance.now();
  const slow = Promise.all(Array.from({ length: TRICKLERS }, () => trickle(target.url, head, body, 200)));
  let slowDone = false;
  void slow.then(() => (slowDone = true));

  // An ordinary client meanwhile, one request after another.
  const latencies: number[] = [];
  const answeredAt: number[] = [];
  while (!slowDone && performance.now() - started < BOUND_MS + LATE_MS + 5000) {
    const t = performance.now();
    const res = await target.typename();
    latencies.push(performance.now() - t);
    answeredAt.push(performance.now());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { __typename: "Query" } });
  }
  const closed = await slow;

  for (const c of closed) {
    expect(c.answer).toMatchObject({ status: 408, headers: { connection: "close" } });
    expect(JSON.parse(c.answer!.body)).toEqual(TIMEOUT_BODY);
    // Still sending when the bound came: not one of them had finished its body.
    expect(c.bytesSent).toBeLessThan(body.length);
    expect(c.afterMs).toBeGreaterThanOrEqual(BOUND_MS - 50);
    expect(c.afterMs).toBeLessThan(BOUND_MS + LATE_MS);
  }
  // The race happened: the ordinary client was served while all of them were still open.
  const sorted = [...latencies].sort((a, b) => a - b);
  const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const figures = { requests: latencies.length, p50: p(0.5), p99: p(0.99), max: sorted.at(-1) };
  if (process.env.SHOW_COSTS) console.log(JSON.stringify(figures));
  const firstClose = Math.min(...closed.map((c) => c.closedAt));
  const whileAllOpen = answeredAt.filter((at) => at < firstClose).length;
  // The figures ride along, so a failure shows them.
  expect({ servedWhileAllOpen: whileAllOpen > 0, whileAllOpen, figures }).toMatchObject({ servedWhileAllOpen: true });
}

describe("slow clients, WEB_CONCURRENCY=2", () => {
  it(`${TRICKLERS} bodies trickling a byte every 200 ms are answered 408 by the workers after the bound, while others are served`, async () => {
    const target = await twoWorkers();
    try {
      await trickleWhileServing(target);
    } finally {
      await target.close();
    }
  }, 120_000);
});

describe("slow clients", () => {
  let target: Awaited<ReturnType<typeof inProcess>>;
  let server: TestServer;
  beforeAll(async () => {
    target = await inProcess();
    server = target.server;
  });
  afterAll(() => target.close());

  it(`${TRICKLERS} bodies trickling a byte every 200 ms are answered 408 and closed after the bound, while others are served`, async () => {
    await trickleWhileServing(target);
  }, 30_000);

  it("headers trickling a byte every 200 ms get the same 408 after the bound", async () => {
    const head = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n";
    const c = await trickle(server.url, head, "X-Padding: " + "a".repeat(200) + "\r\n\r\n", 200);
    expect(c.answer?.status).toBe(408);
    expect(JSON.parse(c.answer!.body)).toEqual(TIMEOUT_BODY);
    expect(c.afterMs).toBeGreaterThanOrEqual(BOUND_MS - 50);
    expect(c.afterMs).toBeLessThan(BOUND_MS + LATE_MS);
  });

  it("a slow body that arrives within the bound is answered as usual", async () => {
    const body = JSON.stringify({ query: "{ __typename }" });
    const head = `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    // 25 bytes, one every 20 ms: half a second in all, a quarter of the bound
    // (a loaded machine's timers run late, and the delays add up).
    const c = await trickle(server.url, head, body, 500 / body.length);
    expect(c.answer?.status).toBe(200);
    expect(JSON.parse(c.answer!.body)).toEqual({ data: { __typename: "Query" } });
  });

  it("an idle keep-alive connection is told KEEP_ALIVE_TIMEOUT and closed once it has passed", async () => {
    const conn = await RawConnection.open(server.url);
    conn.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    const answer = await conn.read();
    expect(answer.status).toBe(200);
    expect(answer.headers["keep-alive"]).toBe(`timeout=${KEEP_ALIVE_MS / 1000}`);
    const idleFrom = performance.now();
    await conn.closed;
    const idleMs = performance.now() - idleFrom;
    expect(conn.closedBy).toBe("end");
    // Node closes a second after the advertised time, so a client never sends
    // on a connection being closed; the rest is room for a loaded machine
    // (without the setting, Node's own 5 s or our 72 s default would show).
    expect(idleMs).toBeGreaterThanOrEqual(KEEP_ALIVE_MS - 50);
    expect(idleMs).toBeLessThan(KEEP_ALIVE_MS + 1000 + 2500);
  });
});
