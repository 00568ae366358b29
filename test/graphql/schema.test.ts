import { buildSchema, isObjectType, print, type GraphQLSchema } from "graphql";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { emittedSdl, getSchema, rootFieldsWithoutScope } from "../../src/schema";
import { startServer } from "../support/server";

const ROOT = join(__dirname, "..", "..");

describe("the emitted schema", () => {
  it("matches the committed schema.graphql (run `npm run schema` when this fails)", async () => {
    expect(readFileSync(join(ROOT, "schema.graphql"), "utf8")).toBe(await emittedSdl());
  });

  it.each(["api-contract.graphql", "api-contract-scopes.graphql"])(
    "keeps the public contract of ../shared/%s",
    (contract) => {
      const shared = join(ROOT, "..", "shared");
      const out = execFileSync(
        process.execPath,
        [join(shared, "tools", "check-contract.mjs"), "schema.graphql", join(shared, contract)],
        { cwd: ROOT, encoding: "utf8" },
      );
      expect(out).toContain("contract: kept");
    },
  );

  it("is served at GET /schema.graphql", async () => {
    const server = await startServer();
    try {
      const res = await fetch(`${server.url}/schema.graphql`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await res.text()).toBe(await emittedSdl());
    } finally {
      await server.close();
    }
  });

  it("derives the PostgreSQL Prisma schema from the SQLite one (no drift)", () => {
    execFileSync(process.execPath, [join(ROOT, "scripts", "prisma-schemas.mjs"), "--check"], { cwd: ROOT });
  });
});

describe("scopes in the schema", () => {
  /** Each root field of a schema with the @requiresScopes it carries in the SDL, printed, or null. */
  function declaredInSdl(schema: GraphQLSchema): Record<string, string | null> {
    const out: Record<string, string | null> = {};
    for (const type of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      if (!isObjectType(type)) continue;
      for (const field of Object.values(type.getFields())) {
        const directives = (field.astNode?.directives ?? []).filter((d) => d.name.value === "requiresScopes");
        expect(directives.length).toBeLessThanOrEqual(1);
        out[`${type.name}.${field.name}`] = directives[0] ? print(directives[0]) : null;
      }
    }
    return out;
  }

  it("every root field of the served SDL carries @requiresScopes, the directive is defined there", () => {
    // Read back from the text a client gets, not from the objects that printed it.
    const served = buildSchema(readFileSync(join(ROOT, "schema.graphql"), "utf8"));
    const declared = declaredInSdl(served);
    expect(Object.keys(declared).length).toBeGreaterThanOrEqual(20);
    expect(Object.entries(declared).filter(([, d]) => d === null)).toEqual([]);
    expect(served.getDirective("requiresScopes")?.args.map((a) => [a.name, String(a.type)])).toEqual([
      ["scopes", "[[Scope!]!]!"],
      ["onlyWithArgument", "String"],
    ]);
    expect(declared["Query.students"]).toBe("@requiresScopes(scopes: [[STUDENTS_READ], [STUDENTS_WRITE]])");
    expect(declared["Mutation.obtainToken"]).toBe("@requiresScopes(scopes: [[]])");
    expect(declared["Mutation.register"]).toBe("@requiresScopes(scopes: [[]])");
    expect(declared["Mutation.revokeToken"]).toBe(
      '@requiresScopes(scopes: [[ACCOUNT], [ADMIN]], onlyWithArgument: "id")',
    );
  });

  it("the rule the server applies is the one the SDL shows, and staff-only fields need ADMIN", async () => {
    const schema = await getSchema();
    const sdl = declaredInSdl(buildSchema(await emittedSdl()));
    for (const type of [schema.getQueryType(), schema.getMutationType()].filter(isObjectType)) {
      for (const field of Object.values(type.getFields())) {
        const rule = (field.extensions as { scopes?: { scope: string | null } }).scopes;
        const at = `${type.name}.${field.name}`;
        expect([at, rule === undefined]).toEqual([at, false]);
        expect([at, sdl[at]]).toEqual([
          at,
          expect.stringContaining(rule!.scope === null ? "[[]]" : `[${rule!.scope}]`),
        ]);
        if ((field.extensions as { access?: string }).access === "staff")
          expect([at, rule!.scope]).toEqual([at, "ADMIN"]);
      }
    }
  });

  it("a root field without a scope is found (the server refuses to start with one)", () => {
    const bare = buildSchema("type Query { a: Int b: Int }");
    expect(rootFieldsWithoutScope(bare)).toEqual(["Query.a", "Query.b"]);
  });
});
