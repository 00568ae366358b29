import fc from "fast-check";
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from "graphql";
import { getSchema } from "../../src/schema";
import { auth, startServer, type TestServer } from "../support/server";

// Random text into every String argument and input field of every operation
// of the served schema (read from the schema itself, so a new operation is
// fuzzed without touching this file): control characters, NUL, lone and
// paired surrogates, non-characters, and huge values. Whatever comes back,
// it is never a 5xx and never INTERNAL_SERVER_ERROR. The operations run as
// staff, so access lets every field through to its rules; ids point at a
// victim user and a student, never at the caller.

const RUNS_PER_FIELD = 12;

const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));
const special = fc.constantFrom(
  "\u0000",
  "\u0001",
  "\u001f",
  "\u007f",
  "\u0085",
  "\ud800",
  "\udbff",
  "\udc00",
  "\udfff",
  "\ud83d\ude00",
  "\ufffe",
  "\uffff",
  "\ufeff",
  "\u200d",
  "\u202e",
  "\u0301",
  "%",
  "_",
  "\\",
  "'",
  '"',
  "*",
  "$",
  "\n",
  " ",
);
const piece = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: codeUnit, maxLength: 20 }) },
  { weight: 3, arbitrary: fc.array(special, { maxLength: 8 }).map((a) => a.join("")) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 10 }) },
);
const huge = fc
  .tuple(piece, fc.integer({ min: 100, max: 300_000 }))
  .map(([p, n]) => (p.length === 0 ? "x" : p).repeat(Math.ceil(n / Math.max(1, p.length))).slice(0, n));
const text = fc.oneof(
  { weight: 6, arbitrary: fc.array(piece, { maxLength: 4 }).map((a) => a.join("")) },
  { weight: 1, arbitrary: huge },
);

interface Target {
  operation: "query" | "mutation";
  field: GraphQLField<unknown, unknown>;
  /** Where strings go: one path per String position, for the variables. */
  strings: number;
}

function stringCount(type: GraphQLInputType, seen = new Set<string>()): number {
  const named = getNamedType(type);
  if (isScalarType(named)) return named.name === "String" ? 1 : 0;
  if (!isInputObjectType(named) || seen.has(named.name)) return 0;
  seen.add(named.name);
  return Object.values(named.getFields()).reduce((n, f) => n + stringCount(f.type, seen), 0);
}

function targets(schema: GraphQLSchema): Target[] {
  const roots: ["query" | "mutation", GraphQLObjectType | null | undefined][] = [
    ["query", schema.getQueryType()],
    ["mutation", schema.getMutationType()],
  ];
  return roots.flatMap(([operation, type]) =>
    Object.values(type?.getFields() ?? {})
      .map((field) => ({ operation, field, strings: field.args.reduce((n, a) => n + stringCount(a.type), 0) }))
      .filter((t) => t.strings > 0),
  );
}

interface Ids {
  user: string;
  student: string;
}

/** A value of `type` with `next()` in every String position. */
function valueOf(type: GraphQLInputType, name: string, field: string, ids: Ids, next: () => string): unknown {
  if (isListType(getNullableType(type)))
    return [valueOf((getNullableType(type) as { ofType: GraphQLInputType }).ofType, name, field, ids, next)];
  const named = getNamedType(type);
  if (isInputObjectType(named)) {
    return Object.fromEntries(
      Object.values(named.getFields()).map((f) => [f.name, valueOf(f.type, f.name, field, ids, next)]),
    );
  }
  if (isEnumType(named)) return named.getValues()[0]!.value;
  switch (named.name) {
    case "String":
      return next();
    case "ID":
      return /user/i.test(name) || /user/i.test(field) ? ids.user : ids.student;
    case "Int":
      return 1;
    case "Boolean":
      return false;
    default:
      throw new Error(`no value for ${named.name}`);
  }
}

function document(target: Target): string {
  const args = target.field.args;
  const definitions = args.map((a: GraphQLArgument) => `$${a.name}: ${String(a.type)}`).join(", ");
  const passed = args.map((a) => `${a.name}: $${a.name}`).join(", ");
  const type = getNamedType(target.field.type);
  const selection = isScalarType(type) || isEnumType(type) ? "" : " { __typename }";
  return `${target.operation} Fuzz(${definitions}) { ${target.field.name}(${passed})${selection} }`;
}

let server: TestServer;
let staffToken: string;
let ids: Ids;
let all: Target[];
beforeAll(async () => {
  server = await startServer({ LOGIN_RATE: "100000/min" });
  staffToken = (await server.user("fuzzer", { staff: true })).token;
  const victim = await server.user("victim");
  const student = await server.app.services.students.create({ name: "Ana", roll: 1, city: "Lima" });
  ids = { user: String(victim.id), student: String(student.id) };
  all = targets(await getSchema());
});
afterAll(() => server.close());

it("finds the String arguments of the schema's operations", () => {
  const names = all.map((t) => t.field.name).sort();
  expect(names).toEqual(
    expect.arrayContaining([
      "obtainToken",
      "register",
      "createStudent",
      "patchStudent",
      "students",
      "users",
      "createToken",
      "patchUser",
    ]),
  );
});

it("never answers a 5xx or INTERNAL_SERVER_ERROR, whatever text goes into any String argument", async () => {
  for (const target of all) {
    const query = document(target);
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: target.strings, maxLength: target.strings }), async (strings) => {
        let i = 0;
        const next = () => strings[i++ % strings.length]!;
        const variables = Object.fromEntries(
          target.field.args.map((a) => [a.name, valueOf(a.type, a.name, target.field.name, ids, next)]),
        );
        const res = await fetch(`${server.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", ...auth(staffToken) },
          body: JSON.stringify({ query, variables }),
        });
        const raw = await res.text();
        const context = `${target.field.name} -> ${res.status} ${raw.slice(0, 300)}`;
        expect([context, res.status < 500]).toEqual([context, true]);
        const body = JSON.parse(raw) as { errors?: { extensions?: { code?: string } }[] };
        const codes = (body.errors ?? []).map((e) => e.extensions?.code);
        expect([context, codes.includes("INTERNAL_SERVER_ERROR")]).toEqual([context, false]);
      }),
      { numRuns: RUNS_PER_FIELD, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 1e9) },
    );
  }
}, 300_000);
