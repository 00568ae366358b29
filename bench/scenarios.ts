// What the bench sends: one GraphQL operation per scenario, the same bytes
// to our server and to the baseline (which dispatches on operationName).

export const SCENARIOS = ["me", "students", "student", "createStudent", "obtainToken", "readsWithLogins"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/** The scenarios that are one operation each (readsWithLogins combines two). */
export type OperationName = Exclude<ScenarioName, "readsWithLogins">;
export const OPERATIONS: readonly OperationName[] = ["me", "students", "student", "createStudent", "obtainToken"];
export const READS: readonly OperationName[] = ["students", "student"];

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

export interface ScenarioData {
  keys: readonly string[];
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
  const authed = () => ({ "content-type": "application/json", authorization: `Token ${pick(data.keys)}` });
  const anonymous = { "content-type": "application/json" };
  const { min, max } = data.studentIds;
  switch (name) {
    case "me":
      return { name, label: "me", kdf: false, next: () => ({ body: body({}), headers: authed() }) };
    case "students": {
      const fixed = body({ limit: 20 });
      return { name, label: "students(limit: 20)", kdf: false, next: () => ({ body: fixed, headers: authed() }) };
    }
    case "student":
      return {
        name,
        label: "student(id)",
        kdf: false,
        next: () => ({
          body: body({ id: String(min + Math.floor(Math.random() * (max - min + 1))) }),
          headers: authed(),
        }),
      };
    case "createStudent":
      return {
        name,
        label: "createStudent",
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
        label: "obtainToken",
        kdf: true,
        next: () => ({ body: body({ username: pick(data.usernames), password: data.password }), headers: anonymous }),
      };
  }
}
