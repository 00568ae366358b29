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

/** Keys that logins in flight obtained; each must be dead once the change has returned. */
async function loginsAround(username: string, password: string, change: () => Promise<void>) {
  const logins = Array.from({ length: LOGINS }, () => server.run(RaceLoginDocument, { username, password }));
  // Some logins are past their password check (argon2 on the thread pool) when the change lands.
  await new Promise((r) => setTimeout(r, 40));
  await change();
  const answers = await Promise.all(logins);
  const keys = answers.flatMap((a) => (a.body.data?.obtainToken ? [a.body.data.obtainToken.token] : []));
  for (const a of answers) {
    // Either a key or the ordinary failed-login answer: never an internal error.
    if (!a.body.data?.obtainToken) expect(a.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  }
  return keys;
}

async function expectDead(keys: string[]) {
  const checks = await Promise.all(keys.map((k) => server.run(RaceWhoAmIDocument, {}, auth(k))));
  const alive = checks.filter((c) => c.status === 200);
  expect(alive).toHaveLength(0);
  for (const c of checks) expect(c.body.errors?.[0]?.message).toBe("Invalid token.");
}

describe("a password change wins every race with logins in flight", () => {
  // Allowed: 0 keys issued with the old password still working after the change returned.
  it("changePassword", async () => {
    for (let round = 0; round < 2; round++) {
      const user = await server.user(`race-self-${round}`);
      let fresh = "";
      const keys = await loginsAround(`race-self-${round}`, user.password, async () => {
        const res = await server.run(
          RaceChangePasswordDocument,
          { oldPassword: user.password, newPassword: NEW_PASSWORD },
          auth(user.token),
        );
        expect(res.body.errors).toBeUndefined();
        fresh = res.body.data!.changePassword.token;
      });
      await expectDead(keys);
      // The key changePassword returned is the one that works.
      expect((await server.run(RaceWhoAmIDocument, {}, auth(fresh))).body.data?.me?.id).toBe(String(user.id));
    }
  });

  it("patchUser with a password (staff)", async () => {
    const staff = await server.user("race-staff", { staff: true });
    for (let round = 0; round < 2; round++) {
      const user = await server.user(`race-patched-${round}`);
      const keys = await loginsAround(`race-patched-${round}`, user.password, async () => {
        const res = await server.run(
          RacePatchPasswordDocument,
          { id: String(user.id), password: NEW_PASSWORD },
          auth(staff.token),
        );
        expect(res.body.errors).toBeUndefined();
      });
      await expectDead([...keys, user.token]);
    }
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
      const creates = Array.from({ length: 10 }, () =>
        server.run(RaceCreateTokenDocument, { userId: id }, auth(staff.token)),
      );
      const deleted = server.run(RaceDeleteUserDocument, { id }, auth(staff.token));
      const answers = await Promise.all(creates);
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
  });
});
