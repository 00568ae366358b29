// What the bench sends: one GraphQL operation per scenario, the same bytes
// to our server and to the baseline (which dispatches on operationName).

export const SCENARIOS = ["me", "students", "student", "createStudent", "obtainToken", "readsWithLogins"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/** The scenarios that are one operation each (readsWithLogins combines two). */
export type OperationName = Exclude<ScenarioName, "readsWithLogins">;
export const OPERATIONS: readonly OperationName[] = ["me", "students", "student", "createStudent", "obtainToken"];
export const READS: readonly OperationName[] = ["students", "student"];
/** How the tables name each operation (DRF's REST route included). */
export const LABELS: Record<OperationName, string> = {
  me: "me",
  students: "students(limit: 20)",
  student: "student(id)",
  createStudent: "createStudent",
  obtainToken: "obtainToken",
};

export interface Request {
  /** POST /graphql unless given (DRF's REST routes). */
  method?: "GET" | "POST";
  path?: string;
  body: string;
  headers: Record<string, string>;
}

/** In a request for wrk, stands for a roll unique over the run (bench/wrk/requests.lua). */
export const ROLL = "__ROLL__";

export interface Operation {
  name: OperationName;
  /** How the table names it. */
  label: string;
  /** Bound by the password KDF, not by the stack: no latency target applies. */
  kdf: boolean;
  next(): Request;
  /**
   * For wrk, which cannot call back into this process: a request whose body
   * may hold ROLL. Defaults to next().
   */
  template?(): Request;
}

/**
 * The keys a request can carry: "full", a key with all its user's rights (as
 * a DRF key); "scoped", a key limited to STUDENTS_READ, which covers the
 * reads (students, student) and nothing else: `me` needs ACCOUNT,
 * createStudent STUDENTS_WRITE (../shared/api-contract-scopes.graphql).
 * bench.ts's readKeys() is the one place that turns a kind into keys.
 */
export type KeyKind = "full" | "scoped";
/** How the report names each kind of key. */
export const KEY_KINDS: Record<KeyKind, string> = {
  full: "full keys (all of the user's rights)",
  scoped: "keys limited to STUDENTS_READ",
};
/**
 * Which keys the read scenarios send (--read-key): one kind, or "both": full
 * keys, then each read again with scoped keys on the same server.
 */
export type ReadKey = KeyKind | "both";
export const READ_KEYS: readonly ReadKey[] = ["full", "scoped", "both"];

export interface ScenarioData {
  /** Keys for every scenario but the reads. */
  keys: readonly string[];
  /** Keys for the read scenarios (students, student, and readsWithLogins' students). */
  readKeys: readonly string[];
  usernames: readonly string[];
  password: string;
  studentIds: { min: number; max: number };
}

const DOCUMENTS: Record<OperationName, { operationName: string; query: string }> = {
  me: {
    operationName: "Me",
    query: "query Me { me { id username email isStaff isActive dateJoined lastLogin } }",
  },
  students: {
    operationName: "Students",
    query: "query Students($limit: Int) { students(limit: $limit) { count results { id name roll city } } }",
  },
  student: {
    operationName: "Student",
    query: "query Student($id: ID!) { student(id: $id) { id name roll city } }",
  },
  createStudent: {
    operationName: "CreateStudent",
    query: "mutation CreateStudent($input: StudentInput!) { createStudent(input: $input) { id name roll city } }",
  },
  obtainToken: {
    operationName: "ObtainToken",
    query:
      "mutation ObtainToken($username: String!, $password: String!) { obtainToken(username: $username, password: $password) { token expiresAt user { id username } } }",
  },
};

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;

// Seeded rolls are 1..students; new ones start far above and never repeat
// within a run (each server has its own copy of the database).
let nextRoll = 1_000_000_000;

export function operation(name: OperationName, data: ScenarioData): Operation {
  const { operationName, query } = DOCUMENTS[name];
  const body = (variables: Record<string, unknown>) => JSON.stringify({ operationName, query, variables });
  const authedWith = (keys: readonly string[]) => () => ({
    "content-type": "application/json",
    authorization: `Token ${pick(keys)}`,
  });
  const authed = authedWith(data.keys);
  const reader = authedWith(data.readKeys);
  const anonymous = { "content-type": "application/json" };
  const { min, max } = data.studentIds;
  switch (name) {
    case "me":
      return { name, label: LABELS[name], kdf: false, next: () => ({ body: body({}), headers: authed() }) };
    case "students": {
      const fixed = body({ limit: 20 });
      return { name, label: LABELS[name], kdf: false, next: () => ({ body: fixed, headers: reader() }) };
    }
    case "student":
      return {
        name,
        label: LABELS[name],
        kdf: false,
        next: () => ({
          body: body({ id: String(min + Math.floor(Math.random() * (max - min + 1))) }),
          headers: reader(),
        }),
      };
    case "createStudent":
      return {
        name,
        label: LABELS[name],
        kdf: false,
        next: () => {
          const roll = nextRoll++;
          return { body: body({ input: { name: `Bench ${roll}`, roll, city: "Benchville" } }), headers: authed() };
        },
        template: () => ({
          body: body({ input: { name: `Bench ${ROLL}`, roll: 0, city: "Benchville" } }).replace(
            '"roll":0',
            `"roll":${ROLL}`,
          ),
          headers: authed(),
        }),
      };
    case "obtainToken":
      return {
        name,
        label: LABELS[name],
        kdf: true,
        next: () => ({ body: body({ username: pick(data.usernames), password: data.password }), headers: anonymous }),
      };
  }
}
