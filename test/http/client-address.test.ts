import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { isIP } from "node:net";
import { ConfigError, loadConfig } from "../../src/config/config";
import { createContext } from "../../src/graphql/context";
import { clientKey } from "../../src/http/client-address";
import { startServer, type TestServer } from "../support/server";

// The client address per-address limits count: `::ffff:10.4.0.1` is
// 10.4.0.1, and an IPv6 client is its /64 (IPV6_PREFIX). Observed through
// LOGIN_RATE's per-address counter, with addresses given by a trusted proxy
// (the socket, 127.0.0.1, is one) in X-Forwarded-For, and distinct
// usernames so only the address counter is in play.

const LOGIN = "mutation($u: String!, $p: String!) { obtainToken(username: $u, password: $p) { token } }";
const RATE = 3;
const FAILED = "Unable to log in with provided credentials.";

describe("IPV6_PREFIX", () => {
  it("defaults to 64 and takes 0 to 128", () => {
    expect(loadConfig({}).IPV6_PREFIX).toBe(64);
    expect(loadConfig({ IPV6_PREFIX: "0" }).IPV6_PREFIX).toBe(0);
    expect(loadConfig({ IPV6_PREFIX: " 56 " }).IPV6_PREFIX).toBe(56);
    expect(loadConfig({ IPV6_PREFIX: "128" }).IPV6_PREFIX).toBe(128);
  });

  it.each(["129", "-1", "64.5", "/64", "sixty-four"])("refuses %j with one line naming the variable", (value) => {
    expect(() => loadConfig({ IPV6_PREFIX: value })).toThrow(ConfigError);
    expect(() => loadConfig({ IPV6_PREFIX: value })).toThrow(/^IPV6_PREFIX: .* is not a whole number from 0 to 128$/);
  });
});

describe.each([
  // [IPV6_PREFIX, what, the X-Forwarded-For of try i, one of another client, whether the tries share one counter]
  [
    "64",
    "addresses of one /64",
    (i: number) => `2001:db8:1:2:${i.toString(16)}:${(i * 7919).toString(16)}::1`,
    "2001:db8:1:3::1",
    true,
  ],
  [
    "64",
    "an IPv4 address and its IPv4-mapped IPv6 form",
    (i: number) => (i % 2 ? "::ffff:10.4.0.1" : "10.4.0.1"),
    "10.4.0.2",
    true,
  ],
  ["64", "the mapped form in hex", (i: number) => (i % 2 ? "::ffff:a04:1" : "10.4.0.1"), "::ffff:10.4.0.2", true],
  [
    "56",
    "addresses of one /56, in several /64s",
    (i: number) => `2001:db8:0:${(0x4500 + i).toString(16)}::1`,
    "2001:db8:0:4600::1",
    true,
  ],
  [
    "128",
    "addresses of one /64 with IPV6_PREFIX=128",
    (i: number) => `2001:db8:1:2::${(i + 1).toString(16)}`,
    null,
    false,
  ],
] as const)("IPV6_PREFIX=%s: %s", (prefix, _what, xff, other, shared) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ LOGIN_RATE: `${RATE}/min`, TRUST_PROXY: "loopback", IPV6_PREFIX: prefix });
  });
  afterAll(() => server.close());

  const login = (i: number, forwardedFor: string) =>
    server.gql(LOGIN, { u: `nobody${i}`, p: "wrong password" }, { "x-forwarded-for": forwardedFor });

  it(shared ? `share one counter: ${RATE} checks, then 429` : "each have a counter of their own", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await login(i, xff(i));
      if (res.status === 200) expect(res.body.errors?.[0]?.message).toBe(FAILED);
      statuses.push(res.status);
    }
    expect(statuses).toEqual(shared ? [...Array(RATE).fill(200), ...Array(8 - RATE).fill(429)] : Array(8).fill(200));
    if (other !== null) {
      // Another client, just outside: a counter of its own.
      expect((await login(99, other)).status).toBe(200);
    }
  });
});

describe("clientKey (properties)", () => {
  const prefix = fc.integer({ min: 0, max: 128 });
  const bytes = fc.uint8Array({ minLength: 16, maxLength: 16 });
  const v6 = (b: Uint8Array) => ipaddr.fromByteArray([...b]).toString();
  const mapped = (b: Uint8Array) => b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;

  it("an IPv4 address is itself, in every IPv4-mapped IPv6 spelling too", () => {
    fc.assert(
      fc.property(fc.ipV4(), prefix, (v4, p) => {
        const hex = ipaddr.IPv4.parse(v4).toIPv4MappedAddress().toNormalizedString();
        expect(clientKey(v4, p)).toBe(v4);
        expect(clientKey(`::ffff:${v4}`, p)).toBe(v4);
        expect(clientKey(`::FFFF:${v4}`, p)).toBe(v4);
        expect(clientKey(hex, p)).toBe(v4);
      }),
    );
  });

  it("two IPv6 addresses share a key exactly when their first IPV6_PREFIX bits agree", () => {
    fc.assert(
      fc.property(bytes, bytes, prefix, fc.nat(127), (a, b, p, flip) => {
        fc.pre(!mapped(a) && !mapped(b));
        // b takes a's first p bits and keeps its own after them.
        const same = Uint8Array.from(a, (x, i) => {
          const keep = Math.max(0, Math.min(8, p - i * 8));
          const mask = (0xff << (8 - keep)) & 0xff;
          return (x & mask) | (b[i]! & ~mask & 0xff);
        });
        fc.pre(!mapped(same));
        expect(clientKey(v6(same), p)).toBe(clientKey(v6(a), p));
        // One bit inside the prefix changed: another client.
        if (flip < p) {
          const other = Uint8Array.from(a);
          other[flip >> 3]! ^= 0x80 >> (flip & 7);
          fc.pre(!mapped(other));
          expect(clientKey(v6(other), p)).not.toBe(clientKey(v6(a), p));
        }
      }),
    );
  });

  it("an IPv6 key is the network of IPV6_PREFIX bits that holds the address, or the address itself at 128", () => {
    fc.assert(
      fc.property(bytes, prefix, (a, p) => {
        fc.pre(!mapped(a));
        const key = clientKey(v6(a), p);
        if (p === 128) {
          expect(key).toBe(v6(a));
          return;
        }
        const [network, bits] = ipaddr.IPv6.parseCIDR(key);
        expect(bits).toBe(p);
        expect(ipaddr.IPv6.parse(v6(a)).match(network, bits)).toBe(true);
        expect(ipaddr.IPv6.networkAddressFromCIDR(key).toString()).toBe(network.toString());
      }),
    );
  });

  it("any other text, the forms ipaddr.js reads but Node does not included, is returned as it is, never a throw", () => {
    const odd = fc.constantFrom("010.4.0.1", "10.4", "167772161", "0x0a.4.0.1", "1.2.3.4.5", "::g", "", "fe80::1%");
    fc.assert(
      fc.property(fc.oneof(fc.string(), odd), prefix, (text, p) => {
        const key = clientKey(text, p);
        if (isIP(text) === 0) expect(key).toBe(text);
      }),
    );
  });
});

describe("the context's client address", () => {
  // Apollo Server 5 gives each operation a copy of the context:
  // Object.assign(Object.create(Object.getPrototypeOf(context)), context)
  // (cloneObject in @apollo/server's ApolloServer.ts). The address must
  // survive that copy unparsed, or every read pays for parsing it.
  const copyAsApolloDoes = <T extends object>(context: T): T =>
    Object.assign(Object.create(Object.getPrototypeOf(context) as object) as T, context);

  it("is parsed when first asked for, once, and not by Apollo's copy of the context", async () => {
    const parsed: string[] = [];
    const context = createContext({
      authenticate: () => Promise.resolve(null),
      clientAddress: (ip) => (parsed.push(ip), clientKey(ip, 64)),
      container: { get: () => undefined },
    });
    const request = { headers: {}, ip: "::ffff:10.4.0.1", graphql: {} } as unknown as Parameters<typeof context>[0];
    const copy = copyAsApolloDoes(await context(request));
    expect(parsed).toEqual([]);
    expect(copy.clientAddress).toBe("10.4.0.1");
    expect(copy.clientAddress).toBe("10.4.0.1");
    expect(parsed).toEqual(["::ffff:10.4.0.1"]);
  });
});
