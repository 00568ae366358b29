import { countRows } from "../support/rows";
import { NOT_AUTHENTICATED, NOT_FOUND, expectError } from "../support/expect";
import {
  CreateStudentDocument,
  DeleteStudentDocument,
  PatchStudentDocument,
  StudentDocument,
  StudentsDocument,
  UpdateStudentDocument,
  type StudentFieldsFragment,
  type StudentOrder,
  type StudentsQueryVariables,
} from "../generated/graphql";
import { auth, startServer, type GraphQLResponse, type TestServer } from "../support/server";

// Students through the real HTTP server: the seed's list, retrieve, create,
// full update, partial update and delete, with DRF's validation messages.

let server: TestServer;
let headers: Record<string, string>;

type Student = StudentFieldsFragment;

/** Rolls unique within this file, so tests never collide whatever their order. */
let nextRoll = 1000;
const roll = () => nextRoll++;

async function create(input: { name: string; roll?: number; city: string }): Promise<Student> {
  const res = await server.run(CreateStudentDocument, { input: { roll: roll(), ...input } }, headers);
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.createStudent;
}

async function list(args: StudentsQueryVariables) {
  const res = await server.run(StudentsDocument, args, headers);
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.students;
}

beforeAll(async () => {
  server = await startServer();
  headers = auth((await server.user("amit")).token);
});
afterAll(() => server.close());

describe("students list", () => {
  // A set of its own, found through a search term no other test uses.
  const TAG = "Listy";
  let made: Student[];
  beforeAll(async () => {
    made = [];
    for (const [name, city] of [
      ["Listy Cara", "Pune"],
      ["Listy Abel", "Delhi"],
      ["Listy Bram", "Agra"],
      ["Listy Dana", "Delhi"],
      ["Listy Eve", "Goa"],
    ] as const) {
      made.push(await create({ name, city }));
    }
  });

  it("defaults to 20 per page, in id order, with the total count", async () => {
    const page = await list({ search: TAG });
    expect(page.count).toBe(5);
    expect(page.results.map((s) => s.id)).toEqual(made.map((s) => s.id));
  });

  it("pages with limit and offset; count ignores both", async () => {
    const first = await list({ search: TAG, limit: 2 });
    const second = await list({ search: TAG, limit: 2, offset: 2 });
    const past = await list({ search: TAG, limit: 2, offset: 10 });
    expect(first.count).toBe(5);
    expect(second.count).toBe(5);
    expect(past).toEqual({ count: 5, results: [] });
    expect(first.results.map((s) => s.id)).toEqual(made.slice(0, 2).map((s) => s.id));
    expect(second.results.map((s) => s.id)).toEqual(made.slice(2, 4).map((s) => s.id));
  });

  it("accepts limit 1 and 100 and refuses 0, 101 and a negative offset with field errors", async () => {
    expect((await list({ search: TAG, limit: 1 })).results).toHaveLength(1);
    expect((await list({ search: TAG, limit: 100 })).results).toHaveLength(5);
    for (const limit of [0, 101, -1]) {
      const res = await server.run(StudentsDocument, { limit }, headers);
      expect(res.body.data).toBeNull();
      expectError(res, { code: "BAD_USER_INPUT", fields: { limit: ["Ensure this value is between 1 and 100."] } });
    }
    const res = await server.run(StudentsDocument, { offset: -1 }, headers);
    expectError(res, {
      code: "BAD_USER_INPUT",
      fields: { offset: ["Ensure this value is greater than or equal to 0."] },
    });
  });

  it("searches name and city, ignoring case", async () => {
    expect((await list({ search: "listy abel" })).results.map((s) => s.name)).toEqual(["Listy Abel"]);
    const delhi = await list({ search: "DELHI" });
    expect(delhi.count).toBe(2);
    expect(delhi.results.map((s) => s.name)).toEqual(["Listy Abel", "Listy Dana"]);
    expect((await list({ search: "nobody-has-this" })).count).toBe(0);
  });

  it("treats each search word as a term that must match some field, as DRF's SearchFilter does", async () => {
    // "dana" is in a name, "delhi" in a city: only the student with both matches.
    const page = await list({ search: "  dana   delhi " });
    expect(page.results.map((s) => s.name)).toEqual(["Listy Dana"]);
  });

  it("keeps a quoted phrase together", async () => {
    expect((await list({ search: '"listy dana"' })).results.map((s) => s.name)).toEqual(["Listy Dana"]);
    expect((await list({ search: '"dana delhi"' })).count).toBe(0);
  });

  it("takes LIKE wildcards in a search literally", async () => {
    expect((await list({ search: "%" })).count).toBe(0);
    expect((await list({ search: "_" })).count).toBe(0);
    const pct = await create({ name: "Wild 100% Sure", city: "a_b" });
    await create({ name: "Wild 1000 Sure", city: "axb" });
    expect((await list({ search: "100%" })).results.map((s) => s.id)).toEqual([pct.id]);
    expect((await list({ search: "A_B wild" })).results.map((s) => s.id)).toEqual([pct.id]);
    expect((await list({ search: "\\" })).count).toBe(0);
  });

  it.each([
    ["ID_ASC", (a: Student, b: Student) => Number(a.id) - Number(b.id)],
    ["ID_DESC", (a: Student, b: Student) => Number(b.id) - Number(a.id)],
    ["NAME_ASC", (a: Student, b: Student) => a.name.localeCompare(b.name)],
    ["NAME_DESC", (a: Student, b: Student) => b.name.localeCompare(a.name)],
    ["ROLL_ASC", (a: Student, b: Student) => a.roll - b.roll],
    ["ROLL_DESC", (a: Student, b: Student) => b.roll - a.roll],
  ] as [StudentOrder, (a: Student, b: Student) => number][])("orders by %s", async (orderBy, compare) => {
    const page = await list({ search: TAG, orderBy });
    expect(page.results.map((s) => s.id)).toEqual([...made].sort(compare).map((s) => s.id));
    // Pages in that order neither overlap nor skip.
    const pages = [];
    for (let offset = 0; offset < 5; offset += 2)
      pages.push(...(await list({ search: TAG, orderBy, limit: 2, offset })).results);
    expect(pages.map((s) => s.id)).toEqual(page.results.map((s) => s.id));
  });

  it("refuses an unknown orderBy value", async () => {
    // Raw: a typed document cannot name an enum value the schema lacks.
    const res = await server.raw("{ students(orderBy: SHOE_SIZE) { count } }", undefined, headers);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });
});

describe("student(id)", () => {
  it("returns the student", async () => {
    const made = await create({ name: "Ravi", city: "Surat" });
    const res = await server.run(StudentDocument, { id: made.id }, headers);
    expect(res.body).toEqual({ data: { student: made } });
    expect(new Date(made.createdAt).toISOString()).toBe(made.createdAt);
  });

  it.each(["999999", "0", "-1", "abc", "1.5", "", " 1", "99999999999999999999", "1e3"])(
    "is null for id %j",
    async (id) => {
      const res = await server.run(StudentDocument, { id }, headers);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { student: null } });
    },
  );
});

describe("createStudent", () => {
  it("creates, trims, and sets both timestamps", async () => {
    const r = roll();
    const res = await server.run(
      CreateStudentDocument,
      { input: { name: "  Sonal ", roll: r, city: "Indore " } },
      headers,
    );
    const s = res.body.data!.createStudent;
    expect(s).toMatchObject({ name: "Sonal", roll: r, city: "Indore" });
    expect(s.id).toMatch(/^[1-9][0-9]*$/);
    expect(s.createdAt).toBe(s.updatedAt);
    expect(Math.abs(Date.parse(s.createdAt) - Date.now())).toBeLessThan(60_000);
  });

  it("accepts roll 0", async () => {
    const res = await server.run(CreateStudentDocument, { input: { name: "Zero", roll: 0, city: "X" } }, headers);
    expect(res.body.data?.createStudent.roll).toBe(0);
  });

  it("reports every invalid field at once, with DRF's messages, and writes nothing", async () => {
    const before = await countRows(server.app.db, "Student");
    const res = await server.run(
      CreateStudentDocument,
      { input: { name: "   ", roll: -1, city: "x".repeat(101) } },
      headers,
    );
    expect(res.body.data).toBeNull();
    expectError(res, {
      code: "BAD_USER_INPUT",
      fields: {
        name: ["This field may not be blank."],
        roll: ["Ensure this value is greater than or equal to 0."],
        city: ["Ensure this field has no more than 100 characters."],
      },
    });
    expect(await countRows(server.app.db, "Student")).toBe(before);
  });

  it("accepts exactly 100 characters, counted as characters not bytes", async () => {
    const res = await server.run(
      CreateStudentDocument,
      { input: { name: "é".repeat(100), roll: roll(), city: "🏙".repeat(100) } },
      headers,
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.createStudent.name).toBe("é".repeat(100));
  });

  it("refuses a duplicate roll as a field error", async () => {
    const first = await create({ name: "First", city: "A" });
    const res = await server.run(
      CreateStudentDocument,
      { input: { name: "Second", roll: first.roll, city: "B" } },
      headers,
    );
    expectError(res, { code: "BAD_USER_INPUT", fields: { roll: ["student with this roll already exists."] } });
  });

  it("gives exactly one success when 20 requests race for the same roll", async () => {
    const r = roll();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        server.run(CreateStudentDocument, { input: { name: `Racer ${i}`, roll: r, city: "Race" } }, headers),
      ),
    );
    expect(results.map((res) => res.status)).toEqual(Array(20).fill(200));
    const wins = results.filter((res) => res.body.errors === undefined);
    const losses = results.filter((res) => res.body.errors !== undefined);
    expect(wins).toHaveLength(1);
    expect(losses).toHaveLength(19);
    for (const res of losses) {
      expectError(res, { code: "BAD_USER_INPUT", fields: { roll: ["student with this roll already exists."] } });
    }
    expect(await countRows(server.app.db, "Student", { roll: r })).toBe(1);
  });

  it("refuses a roll outside GraphQL's Int without a 500", async () => {
    const res = await server.run(CreateStudentDocument, { input: { name: "Big", roll: 2 ** 31, city: "X" } }, headers);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("updateStudent (full)", () => {
  it("replaces every field and moves updatedAt", async () => {
    const s = await create({ name: "Old", city: "Old City" });
    const r = roll();
    const res = await server.run(
      UpdateStudentDocument,
      { id: s.id, input: { name: "New", roll: r, city: "New City" } },
      headers,
    );
    const u = res.body.data!.updateStudent;
    expect(u).toMatchObject({ id: s.id, name: "New", roll: r, city: "New City", createdAt: s.createdAt });
    expect(Date.parse(u.updatedAt)).toBeGreaterThanOrEqual(Date.parse(s.updatedAt));
    expect((await server.run(StudentDocument, { id: s.id }, headers)).body.data).toEqual({ student: u });
  });

  it("needs every field (the schema says so)", async () => {
    const s = await create({ name: "Partial", city: "P" });
    // Unchecked: these variables are the mistake under test.
    const res = await server.runUnchecked(UpdateStudentDocument, { id: s.id, input: { name: "Only name" } }, headers);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("validates like create", async () => {
    const s = await create({ name: "Valid", city: "V" });
    const res = await server.run(
      UpdateStudentDocument,
      { id: s.id, input: { name: "", roll: -5, city: "ok" } },
      headers,
    );
    expectError(res, {
      code: "BAD_USER_INPUT",
      fields: { name: ["This field may not be blank."], roll: ["Ensure this value is greater than or equal to 0."] },
    });
  });

  it("refuses another student's roll", async () => {
    const a = await create({ name: "A", city: "A" });
    const b = await create({ name: "B", city: "B" });
    const res = await server.run(
      UpdateStudentDocument,
      { id: b.id, input: { name: "B", roll: a.roll, city: "B" } },
      headers,
    );
    expectError(res, { code: "BAD_USER_INPUT", fields: { roll: ["student with this roll already exists."] } });
  });

  it("keeps its own roll", async () => {
    const a = await create({ name: "Same", city: "A" });
    const res = await server.run(
      UpdateStudentDocument,
      { id: a.id, input: { name: "Same2", roll: a.roll, city: "A" } },
      headers,
    );
    expect(res.body.data?.updateStudent.name).toBe("Same2");
  });

  it("answers NOT_FOUND for a missing or garbage id", async () => {
    for (const id of ["999999", "abc"]) {
      const res = await server.run(
        UpdateStudentDocument,
        { id, input: { name: "X", roll: roll(), city: "X" } },
        headers,
      );
      expect(res.body.data).toBeNull();
      expectError(res, NOT_FOUND);
    }
  });
});

describe("patchStudent (partial)", () => {
  it("changes only the fields given", async () => {
    const s = await create({ name: "Patchy", city: "Before" });
    const res = await server.run(PatchStudentDocument, { id: s.id, input: { city: "After" } }, headers);
    expect(res.body.data!.patchStudent).toMatchObject({ id: s.id, name: "Patchy", roll: s.roll, city: "After" });
  });

  it("accepts an empty patch and changes nothing", async () => {
    const s = await create({ name: "Nothing", city: "Same" });
    const res = await server.run(PatchStudentDocument, { id: s.id, input: {} }, headers);
    expect(res.body.data!.patchStudent).toMatchObject({ name: "Nothing", roll: s.roll, city: "Same" });
  });

  it("refuses an explicit null, naming each such field", async () => {
    const s = await create({ name: "Nully", city: "N" });
    const res = await server.run(
      PatchStudentDocument,
      { id: s.id, input: { name: null, roll: null, city: "fine" } },
      headers,
    );
    expectError(res, {
      code: "BAD_USER_INPUT",
      fields: { name: ["This field may not be null."], roll: ["This field may not be null."] },
    });
    expect((await server.run(StudentDocument, { id: s.id }, headers)).body.data!.student?.city).toBe("N");
  });

  it("validates the fields given", async () => {
    const s = await create({ name: "Check", city: "C" });
    const res = await server.run(
      PatchStudentDocument,
      { id: s.id, input: { name: "n".repeat(101), roll: -1 } },
      headers,
    );
    expectError(res, {
      code: "BAD_USER_INPUT",
      fields: {
        name: ["Ensure this field has no more than 100 characters."],
        roll: ["Ensure this value is greater than or equal to 0."],
      },
    });
  });

  it("refuses another student's roll", async () => {
    const a = await create({ name: "PA", city: "A" });
    const b = await create({ name: "PB", city: "B" });
    const res = await server.run(PatchStudentDocument, { id: b.id, input: { roll: a.roll } }, headers);
    expectError(res, { code: "BAD_USER_INPUT", fields: { roll: ["student with this roll already exists."] } });
  });

  it("answers NOT_FOUND for a missing student", async () => {
    expectError(await server.run(PatchStudentDocument, { id: "999999", input: { city: "X" } }, headers), NOT_FOUND);
  });
});

describe("deleteStudent", () => {
  it("deletes, then answers NOT_FOUND", async () => {
    const s = await create({ name: "Gone", city: "G" });
    expect((await server.run(DeleteStudentDocument, { id: s.id }, headers)).body).toEqual({
      data: { deleteStudent: true },
    });
    expect((await server.run(StudentDocument, { id: s.id }, headers)).body.data).toEqual({ student: null });
    const again = await server.run(DeleteStudentDocument, { id: s.id }, headers);
    expect(again.body.data).toBeNull();
    expectError(again, NOT_FOUND);
    expectError(await server.run(DeleteStudentDocument, { id: "not-an-id" }, headers), NOT_FOUND);
  });
});

describe("without a key", () => {
  const ops: [string, () => Promise<GraphQLResponse<unknown>>][] = [
    ["students", () => server.run(StudentsDocument, {})],
    ["student", () => server.run(StudentDocument, { id: "1" })],
    ["createStudent", () => server.run(CreateStudentDocument, { input: { name: "A", roll: 1, city: "B" } })],
    ["updateStudent", () => server.run(UpdateStudentDocument, { id: "1", input: { name: "A", roll: 1, city: "B" } })],
    ["patchStudent", () => server.run(PatchStudentDocument, { id: "1", input: { city: "B" } })],
    ["deleteStudent", () => server.run(DeleteStudentDocument, { id: "1" })],
  ];

  it.each(ops)("%s answers 401 with WWW-Authenticate: Token", async (_name, send) => {
    const before = await countRows(server.app.db, "Student");
    const res = await send();
    expectError(res, NOT_AUTHENTICATED);
    expect(await countRows(server.app.db, "Student")).toBe(before);
  });
});
