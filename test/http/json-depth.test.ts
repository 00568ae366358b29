import fc from "fast-check";
import { MAX_JSON_DEPTH, jsonDepthExceeds } from "../../src/http/json-body";
import { startServer, type TestServer } from "../support/server";

// A JSON body nested deeper than MAX_JSON_DEPTH (64) is refused before it is
// parsed: 1 MB of `[[[[...]]]]` took JSON.parse about a second of the event
// loop, where a flat 1 MB body takes a few ms. What is parsed still goes
// through Fastify's own parser (secure-json-parse: prototype poisoning refused).

const TOO_DEEP = `The request body is JSON nested deeper than ${MAX_JSON_DEPTH} levels.`;

/** Arrays nested `depth` deep. */
const arrays = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
/** A body whose `variables.deep` is arrays nested `depth` deep: the body itself is `depth + 2` deep. */
const withVariables = (depth: number) => `{"query":"{ __typename }","variables":{"deep":${arrays(depth)}}}`;

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** The answer, and the CPU time this process (client and server both) spent on the request. */
async function post(body: string) {
  const started = process.cpuUsage();
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const json = (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
  const spent = process.cpuUsage(started);
  return { status: res.status, body: json, cpu: (spent.user + spent.system) / 1000 };
}

describe("over HTTP", () => {
  it("takes variables nested 62 deep inside the body's 2 levels (64 in all), and refuses one level more", async () => {
    const ok = await post(withVariables(MAX_JSON_DEPTH - 2));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ data: { __typename: "Query" } });

    const refused = await post(withVariables(MAX_JSON_DEPTH - 1));
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ errors: [{ message: TOO_DEEP, extensions: { code: "BAD_REQUEST" } }] });
  });

  it.each([
    ["arrays", (depth: number) => arrays(depth)],
    ["objects", (depth: number) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth)],
    [
      "mixed, with brackets inside strings",
      (depth: number) => '[{"x":"]]]}}}","y":'.repeat(depth) + "0" + "}]".repeat(depth),
    ],
  ])(
    "refuses 1 MB of nested %s with 400, and it costs no more than a flat body of the same size",
    async (what, nest) => {
      const size = 1_000_000;
      const depth = Math.floor(size / nest(1).length);
      const nested = nest(depth);
      // As many values as the nested body has levels, side by side in one list.
      const values = Math.floor((nested.length - 50) / 2);
      const flat = JSON.stringify({ query: "{ __typename }", variables: { x: Array(values).fill(0) } });
      expect(Math.abs(flat.length - nested.length)).toBeLessThan(100);

      // CPU time of this process, server and client: other processes on the
      // machine slow wall time, not this. Both mostly read 1 MB; the cheapest
      // of 7 tries of each, after one try of each to warm up.
      await post(nested);
      await post(flat);
      const cheapest = { nested: Infinity, flat: Infinity };
      for (let i = 0; i < 7; i++) {
        const n = await post(nested);
        expect(n.status).toBe(400);
        expect(n.body.errors?.[0]?.message).toBe(TOO_DEEP);
        const f = await post(flat);
        expect(f.status).toBe(200);
        cheapest.nested = Math.min(cheapest.nested, n.cpu);
        cheapest.flat = Math.min(cheapest.flat, f.cpu);
      }
      if (process.env.SHOW_COSTS) console.log(JSON.stringify({ [what]: cheapest }));
      // The figures ride along, so a failure shows them.
      expect({ nestedNoDearer: cheapest.nested <= cheapest.flat, cheapest }).toMatchObject({ nestedNoDearer: true });
    },
  );

  it("keeps Fastify's prototype-poisoning refusal for what it parses", async () => {
    for (const body of [
      '{"query":"{ __typename }","variables":{"__proto__":{"isStaff":true}}}',
      '{"query":"{ __typename }","variables":{"constructor":{"prototype":{"isStaff":true}}}}',
    ]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_REQUEST");
    }
  });

  it("still tells invalid and empty JSON apart", async () => {
    expect((await post('{"query": "{ __typename }"')).body.errors?.[0]?.message).toBe(
      "The request body is not valid JSON.",
    );
    expect((await post("")).body.errors?.[0]?.message).toMatch(/^The request body is empty/);
  });
});

/** The nesting depth of a parsed JSON value: a scalar 0, `[]` and `{}` 1. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (value !== null && typeof value === "object") return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

describe("jsonDepthExceeds (properties)", () => {
  const json = fc.jsonValue({ maxDepth: 8 });

  it("says whether a JSON text is nested deeper than the bound, whatever its strings and spacing", () => {
    fc.assert(
      fc.property(json, fc.constantFrom(undefined, 1, 2, "\t"), fc.nat(10), (value, indent, bound) => {
        const text = JSON.stringify(value, null, indent);
        expect(jsonDepthExceeds(text, bound)).toBe(depthOf(value) > bound);
      }),
      { numRuns: 2000 },
    );
  });

  it("counts only brackets outside strings, escaped quotes and backslashes included", () => {
    const tricky = fc.string({ unit: fc.constantFrom("[", "]", "{", "}", '"', "\\", "a", "\\u005b") });
    fc.assert(
      fc.property(tricky, fc.nat(3), (s, bound) => {
        const text = JSON.stringify({ s, t: [[s]] });
        expect(jsonDepthExceeds(text, bound)).toBe(bound < 3);
      }),
    );
  });

  it("never throws on any text", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("[", "]", "{", "}", '"', "\\", "a", ",") }),
        fc.nat(5),
        (s, bound) => {
          expect(typeof jsonDepthExceeds(s, bound)).toBe("boolean");
        },
      ),
    );
  });
});
