import {
  RaceChangePasswordDocument,
  RaceCreateTokenDocument,
  RaceDeleteUserDocument,
  RaceLoginDocument,
  RacePatchPasswordDocument,
  RaceWhoAmIDocument,
} from "../generated/graphql";
import { auth, startServer, type TestServer } from "../support/server";

// Check-then-write races, released together as an attacker would send them,
// on the run's database (SQLite, then PostgreSQL).

let server: TestServer;

// Dozens of argon2 checks per round on a 2-core machine shared with other test files.
jest.setTimeout(180_000);

beforeAll(async () => {
  // Logins are not what these tests limit: LOGIN_RATE is out of the way.
  server = await startServer({ LOGIN_RATE: "100000/min" });
});
afterAll(() => server.close());

const NEW_PASSWORD = "Another-Long-Pass-42";
const LOGINS = 30;
/** Most logins a round sends: under TOKEN_LIMIT_PER_USER (100), so no refusal is the key limit's. */
const MAX_LOGINS = 80;
/** Between two of the logins sent while the change is in flight. */
const STREAM_GAP_MS = 3;
/** Rounds tried until one shows the race; each round is a new user. */
const MAX_ROUNDS = 10;

/**
 * Logins in flight around a password change: `first` of them are sent before
 * it, the rest right after, so the change's own password checks queue among
 * theirs on the thread pool and it commits while logins are between their
 * check and their key. Where it lands among that burst depends on the machine
 * and the database (each round moves the split), and on a fast store every
 * login of the burst can be checked and keyed before it commits; so more
 * logins follow, a few ms apart, for as long as the change is in flight.
 * Returns the keys the logins obtained and how many were refused.
 */
async function loginsAround(username: string, password: string, change: () => Promise<void>, first = LOGINS / 2) {
  const login = () => server.run(RaceLoginDocument, { username, password });
  // One login answered first: a process takes one username's logins in turn
  // (see LoginThrottle), so without it the change can land before any of them.
  const answered = await login();
  const sent = Array.from({ length: first - 1 }, login);
  let changing = true;
  const changed = change().finally(() => (changing = false));
  sent.push(...Array.from({ length: LOGINS - first }, login));
  while (changing && sent.length < MAX_LOGINS - 1) {
    await new Promise((resolve) => setTimeout(resolve, STREAM_GAP_MS));
    if (changing) sent.push(login());
  }
  const answers = [answered, ...(await Promise.all(sent))];
  await changed;
  const keys = answers.flatMap((a) => (a.body.data?.obtainToken ? [a.body.data.obtainToken.token] : []));
  for (const a of answers) {
    // Either a key or the ordinary failed-login answer: never an internal error.
    if (!a.body.data?.obtainToken) expect(a.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  }
  return { keys, refused: answers.length - keys.length };
}

async function expectDead(keys: string[]) {
  const checks = await Promise.all(keys.map((k) => server.run(RaceWhoAmIDocument, {}, auth(k))));
  const alive = checks.filter((c) => c.status === 200);
  expect(alive).toHaveLength(0);
  for (const c of checks) expect(c.body.errors?.[0]?.message).toBe("Invalid token.");
}

/** Round `i`'s logins sent before the change: half first, then fewer and more in turn. */
const splitOf = (i: number) => Math.max(1, Math.min(LOGINS - 1, LOGINS / 2 + (i % 2 ? 1 : -1) * 3 * Math.ceil(i / 2)));

/**
 * Runs rounds until one raced: some logins got a key with the old password
 * and some were refused, so the change landed while logins were in flight.
 * Every round's keys must be dead; the race must have happened in one.
 */
async function untilRaced(round: (i: number) => Promise<{ keys: string[]; refused: number }>) {
  const rounds: { keys: number; refused: number }[] = [];
  for (let i = 0; i < MAX_ROUNDS && !rounds.some((r) => r.keys > 0 && r.refused > 0); i++) {
    const { keys, refused } = await round(i);
    rounds.push({ keys: keys.length, refused });
  }
  // The rounds are printed when none raced.
  expect({ raced: rounds.some((r) => r.keys > 0 && r.refused > 0), rounds }).toMatchObject({ raced: true });
}

describe("a password change wins every race with logins in flight", () => {
  // Allowed: 0 keys issued with the old password still working after the change returned.
  it("changePassword", async () => {
    await untilRaced(async (round) => {
      const user = await server.user(`race-self-${round}`);
      let fresh = "";
      const result = await loginsAround(
        `race-self-${round}`,
        user.password,
        async () => {
          const res = await server.run(
            RaceChangePasswordDocument,
            { oldPassword: user.password, newPassword: NEW_PASSWORD },
            auth(user.token),
          );
          expect(res.body.errors).toBeUndefined();
          fresh = res.body.data!.changePassword.token;
        },
        splitOf(round),
      );
      await expectDead(result.keys);
      // The key changePassword returned is the one that works.
      expect((await server.run(RaceWhoAmIDocument, {}, auth(fresh))).body.data?.me?.id).toBe(String(user.id));
      return result;
    });
  });

  it("patchUser with a password (staff)", async () => {
    const staff = await server.user("race-staff", { staff: true });
    await untilRaced(async (round) => {
      const user = await server.user(`race-patched-${round}`);
      const result = await loginsAround(
        `race-patched-${round}`,
        user.password,
        async () => {
          const res = await server.run(
            RacePatchPasswordDocument,
            { id: String(user.id), password: NEW_PASSWORD },
            auth(staff.token),
          );
          expect(res.body.errors).toBeUndefined();
        },
        splitOf(round),
      );
      await expectDead([...result.keys, user.token]);
      return result;
    });
  });
});

describe("a write racing the delete of its parent", () => {
  // Allowed: each createToken answers a key or NOT_FOUND, never INTERNAL_SERVER_ERROR; no key outlives its user.
  it("createToken racing deleteUser answers NOT_FOUND, never an internal error", async () => {
    const staff = await server.user("race-admin", { staff: true });
    const codes = new Map<string, number>();
    for (let round = 0; round < 10; round++) {
      const victim = await server.user(`race-victim-${round}`);
      const id = String(victim.id);
      // The delete is sent amid the creates, so some land before it and some after;
      // one create is answered first, so at least one key exists when it lands.
      const create = () => server.run(RaceCreateTokenDocument, { userId: id }, auth(staff.token));
      const settledFirst = await create();
      const before = Array.from({ length: 4 }, create);
      const deleted = server.run(RaceDeleteUserDocument, { id }, auth(staff.token));
      const answers = [settledFirst, ...(await Promise.all([...before, ...Array.from({ length: 5 }, create)]))];
      expect((await deleted).body.data?.deleteUser).toBe(true);
      const keys: string[] = [];
      for (const a of answers) {
        expect(a.status).toBe(200);
        const code = a.body.errors?.[0]?.extensions?.code ?? "OK";
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (a.body.data?.createToken) keys.push(a.body.data.createToken.token);
      }
      await expectDead(keys);
    }
    for (const code of codes.keys()) expect(["OK", "NOT_FOUND"]).toContain(code);
    // The race happened: keys issued before the delete, NOT_FOUND after it.
    expect(codes.get("OK")).toBeGreaterThan(0);
    expect(codes.get("NOT_FOUND")).toBeGreaterThan(0);
  });
});
