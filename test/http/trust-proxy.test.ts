import { ensureBuilt, runNode } from "../support/build";
import { freshSqliteUrl } from "../support/databases";
import { ConfigError, loadConfig } from "../../src/config/config";
import { startServer, type TestServer } from "../support/server";

// TRUST_PROXY (contract.md): a number of proxy hops, or the proxies'
// addresses; the client is the right-most X-Forwarded-For address that is not
// a trusted proxy, never the left-most one, which the client writes itself.
// Observed through LOGIN_RATE's per-address counter: logins with distinct
// usernames, so only the address counter is in play.

const LOGIN = "mutation($u: String!, $p: String!) { obtainToken(username: $u, password: $p) { token } }";
const RATE = 3;

describe("TRUST_PROXY settings", () => {
  it("reads a hop count, an address list and off", () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "" }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "0" }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "false" }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "2" }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: " 10.0.0.1, 10.0.0.0/8,fd00::/8, ::1 , loopback" }).TRUST_PROXY).toEqual([
      "10.0.0.1",
      "10.0.0.0/8",
      "fd00::/8",
      "::1",
      "loopback",
    ]);
  });

  it.each([
    "true",
    "TRUE",
    "yes",
    "10.0.0.300",
    "10.0.0.0/33",
    "fd00::/129",
    "10.0.0.0/8/8",
    "proxy.example",
    "1.5",
    "-1",
    "101",
    "10.0.0.1,,10.0.0.2",
  ])("refuses %j with one line naming TRUST_PROXY", (value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(ConfigError);
    try {
      loadConfig({ TRUST_PROXY: value });
    } catch (e) {
      const lines = (e as Error).message.split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^TRUST_PROXY: /);
    }
  });

  it("`true` stops the server at start: exit 1, one line naming the variable", async () => {
    await ensureBuilt();
    const res = await runNode("dist/main.js", [], {
      env: { DATABASE_URL: freshSqliteUrl(), PORT: "0", TRUST_PROXY: "true" },
    });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe("");
    const lines = res.stderr.split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Cannot start: TRUST_PROXY: "true" would believe any X-Forwarded-For a client writes/);
  }, 120_000);
});

/** Distinct, random-looking forged addresses, as an attacker rotates them. */
const forged = (i: number) => `${((i * 37) % 223) + 1}.${(i * 91) % 256}.${(i * 13) % 256}.${(i % 250) + 1}`;

describe.each([
  // [TRUST_PROXY, the X-Forwarded-For of try i from the real client, the same from another real client or null when there is no way to be another one]
  ["1", (i: number) => `${forged(i)}, 203.0.113.7`, "203.0.113.8"],
  ["1", (i: number) => `${forged(i)}, 198.51.100.9, 203.0.113.7`, "203.0.113.8"],
  ["127.0.0.1", (i: number) => `${forged(i)}, 203.0.113.7`, "203.0.113.8"],
  ["loopback, 10.0.0.0/8", (i: number) => `${forged(i)}, 203.0.113.7, 10.1.2.3`, "203.0.113.8, 10.1.2.3"],
  ["2", (i: number) => `${forged(i)}, 203.0.113.7, 10.1.2.3`, "203.0.113.8, 10.1.2.3"],
  // The socket (127.0.0.1) is not a trusted proxy: X-Forwarded-For is not read at all.
  ["10.0.0.1", (i: number) => `${forged(i)}, ${forged(i + 1)}`, null],
  ["", (i: number) => `${forged(i)}, ${forged(i + 1)}`, null],
] as const)("TRUST_PROXY=%j, X-Forwarded-For %p", (trustProxy, xff, other) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ LOGIN_RATE: `${RATE}/min`, TRUST_PROXY: trustProxy });
  });
  afterAll(() => server.close());

  it(`rotating forged left-most entries share the real client's counter: ${RATE} checks, then 429`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await server.gql(LOGIN, { u: `nobody${i}`, p: "wrong password" }, { "x-forwarded-for": xff(i) });
      if (res.status === 200) expect(res.body.errors?.[0]?.message).toBe("Unable to log in with provided credentials.");
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array(RATE).fill(200), ...Array(10 - RATE).fill(429)]);

    const another = await server.gql(
      LOGIN,
      { u: "nobody-else", p: "wrong password" },
      other === null ? { "x-forwarded-for": "192.0.2.1" } : { "x-forwarded-for": other },
    );
    // Another real client behind the proxies has a counter of its own; without a trusted proxy there is only the socket's address.
    expect(another.status).toBe(other === null ? 429 : 200);
  });
});
