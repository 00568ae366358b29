import { MeDocument, ObtainTokenDocument, RegisterDocument } from "../generated/graphql";
import { freshDatabaseUrl, testDatabase } from "../support/databases";
import { moved, scrape, series, value } from "../support/metrics";
import { postOnOwnConnection, startProcess, stopCleanly, type ServerProcess } from "../support/processes";

// `npm start` with WEB_CONCURRENCY=2: each worker counts its own requests,
// and one scrape answers their sum (the primary asks every worker), whether
// the primary serves /metrics on a port of its own or a worker serves it on
// the public port behind the secret.

const TOKEN = "cluster-metrics-secret-0123456789";
// Real processes start slowly on a busy machine.
jest.setTimeout(180_000);

/** How many /graphql requests each process logged (one line per request, with its pid). */
function graphqlRequestsByPid(output: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const line of output.split("\n")) {
    if (!line.includes('"msg":"request"') || !line.includes('"path":"/graphql"')) continue;
    const { pid } = JSON.parse(line) as { pid: number };
    counts.set(pid, (counts.get(pid) ?? 0) + 1);
  }
  return counts;
}

async function waitUntil(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each([
  ["port:0", "its own port, served by the primary"],
  ["bearer", "the public port, served by a worker that asks the primary"],
])(`WEB_CONCURRENCY=2, METRICS=%s: %s (${testDatabase()})`, (metrics) => {
  let server: ServerProcess;
  let metricsUrl: string;

  beforeAll(async () => {
    server = await startProcess({
      DATABASE_URL: await freshDatabaseUrl(),
      WEB_CONCURRENCY: "2",
      LOG_LEVEL: "info",
      LOGIN_RATE: "1000/min",
      METRICS: metrics,
      METRICS_TOKEN: TOKEN,
    });
    metricsUrl = (
      await server.waitFor(/^Metrics: (http:\/\/\S+\/metrics) \(Authorization: Bearer METRICS_TOKEN\)$/m)
    )[1]!;
  });
  afterAll(() => stopCleanly(server));

  it("one scrape returns the sum of both workers' counts", async () => {
    const registered = await postOnOwnConnection(server.url, RegisterDocument, {
      input: { username: "amit", email: "amit@example.com", password: "P@ssrord123" },
    });
    const key = { authorization: `Token ${registered.body.data!.register.token}` };
    const before = await scrape(metricsUrl, TOKEN);
    const ME = 12;
    const WRONG = 8;
    // Each request on a connection of its own: node:cluster hands connections to the workers in turn.
    const answers = await Promise.all([
      ...Array.from({ length: ME }, () => postOnOwnConnection(server.url, MeDocument, {}, key)),
      ...Array.from({ length: WRONG }, () =>
        postOnOwnConnection(server.url, ObtainTokenDocument, { username: "nobody", password: "wrong password" }),
      ),
    ]);
    expect(answers.map((a) => a.status)).toEqual(Array(ME + WRONG).fill(200));
    const after = await scrape(metricsUrl, TOKEN);

    // Both workers served some of them (else the sum proves nothing).
    await waitUntil(
      () => [...graphqlRequestsByPid(server.output()).values()].reduce((a, b) => a + b, 0) === 1 + ME + WRONG,
      "a log line per request",
    );
    const byPid = graphqlRequestsByPid(server.output());
    expect(byPid.size).toBe(2);
    expect(byPid.has(server.pid)).toBe(false);
    for (const count of byPid.values()) expect(count).toBeGreaterThan(0);

    expect(moved(before, after, "graphql_requests_total")).toEqual({
      [series("graphql_requests_total", { type: "query", operation: "Me", outcome: "ok", status: "200" })]: ME,
      [series("graphql_requests_total", {
        type: "mutation",
        operation: "ObtainToken",
        outcome: "BAD_USER_INPUT",
        status: "200",
      })]: WRONG,
    });
    expect(
      value(after, "auth_password_checks_total", { result: "refused" }) -
        value(before, "auth_password_checks_total", { result: "refused" }),
    ).toBe(WRONG);
    // Per-process figures are summed too, and prom-client's own metrics are there.
    expect(value(after, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(after.has("nodejs_eventloop_lag_seconds{}")).toBe(true);
  });

  it("refuses a scrape without the secret, and /metrics stays off the public port without one", async () => {
    for (const headers of [{}, { authorization: `Bearer ${TOKEN}0` }] as Record<string, string>[]) {
      const res = await fetch(metricsUrl, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
    }
    if (metrics.startsWith("port:")) {
      expect(new URL(metricsUrl).port).not.toBe(new URL(server.url).port);
      expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
        404,
      );
    }
  });
});
