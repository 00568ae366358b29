import { pbkdf2Sync, randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { ObtainTokenDocument } from "../generated/graphql";
import { expectError } from "../support/expect";
import { findRow } from "../support/rows";
import { PASSWORD, startServer, type TestServer } from "../support/server";

// A failed login's time does not tell which usernames exist through the cost
// of their stored hash: a PBKDF2 hash imported from Django costs its own
// iterations until its user's first login replaces it, and failed logins on
// every other path are padded to that cost once the server has learnt it
// from the stored hashes (src/users/failed-login-floor.ts). Over HTTP, with
// a fresh server per test.

const FAILED = { code: "BAD_USER_INPUT", message: "Unable to log in with provided credentials." };
const WRONG = "not the password 42";
/** Django 4.2's default: a wrong password costs several times our argon2id here. */
const ITERATIONS = 600_000;

const PATHS = { unknown: "nobody-here", ours: "ours", unusable: "unusable", imported: "imported" } as const;
type Path = keyof typeof PATHS;

async function withServer(
  test: (server: TestServer) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const server = await startServer({ LOGIN_RATE: "100000/min", ...env });
  try {
    await server.user("ours");
    const salt = randomBytes(9).toString("base64");
    const hash = pbkdf2Sync(PASSWORD, salt, ITERATIONS, 32, "sha256").toString("base64");
    await server.app.db.kysely
      .insertInto("User")
      .values([
        { username: "imported", password: `pbkdf2_sha256$${ITERATIONS}$${salt}$${hash}` },
        { username: "unusable", password: `!${randomBytes(20).toString("hex")}` },
      ])
      .execute();
    await test(server);
  } finally {
    await server.close();
  }
}

async function login(server: TestServer, username: string, password: string) {
  const started = performance.now();
  const res = await server.run(ObtainTokenDocument, { username, password });
  return { res, ms: performance.now() - started };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Median time of a wrong password on each path, the paths taken in turn. */
async function wrongPasswordMedians(server: TestServer, rounds = 5): Promise<Record<Path, number>> {
  const times: Record<Path, number[]> = { unknown: [], ours: [], unusable: [], imported: [] };
  for (let round = 0; round < rounds; round++) {
    for (const [path, username] of Object.entries(PATHS) as [Path, string][]) {
      const { res, ms } = await login(server, username, WRONG);
      expectError(res, FAILED);
      times[path].push(ms);
    }
  }
  const medians = Object.fromEntries(
    Object.entries(times).map(([path, ms]) => [path, Math.round(median(ms) * 10) / 10]),
  ) as Record<Path, number>;
  if (process.env.SHOW_COSTS) console.log(JSON.stringify(medians));
  return medians;
}

describe("the failed-login floor", () => {
  it("is what stands between an imported hash's cost and its username: without it, that user's wrong password is slower", async () => {
    await withServer(async (server) => {
      expect(server.app.services.users.failedLoginFloor.ms).toBe(0);
      const medians = await wrongPasswordMedians(server);
      expect(medians.imported).toBeGreaterThan(2 * medians.unknown);
    });
  }, 60_000);

  it("once learnt from the stored hashes, makes every failed path take about the imported hash's time", async () => {
    await withServer(async (server) => {
      const floor = await server.app.services.users.failedLoginFloor.refresh();
      expect(floor).toBeGreaterThan(0);
      const medians = await wrongPasswordMedians(server);
      // Within 2x either way: without the floor the unknown user answers about
      // 6x faster than the imported one; with it, every path waits for the
      // floor, and only the imported hash's own check, slowed by a loaded
      // machine past the floor learnt on a quiet one, can stretch one path.
      const alike = Object.fromEntries(
        Object.entries(medians).map(([path, ms]) => [path, ms >= medians.imported / 2 && ms <= medians.imported * 2]),
      );
      expect({ floor, medians, alike }).toMatchObject({
        alike: { unknown: true, ours: true, unusable: true, imported: true },
      });
    });
  }, 120_000);

  it("checks one hash per hasher, the costliest, however many parameter sets the stored hashes use", async () => {
    await withServer(async (server) => {
      // Imported data may give every user a cost of their own, each within the bounds.
      const salt = "manycosts";
      const rows = Array.from({ length: 300 }, (_, i) => {
        const iterations = 1000 + i;
        const hash = pbkdf2Sync(PASSWORD, salt, iterations, 32, "sha256").toString("base64");
        return { username: `cost${i}`, password: `pbkdf2_sha256$${iterations}$${salt}$${hash}` };
      });
      await server.app.db.kysely.insertInto("User").values(rows).execute();
      const floor = server.app.services.users.failedLoginFloor;
      await floor.refresh();
      // Two checks, not 302: our own argon2id (12 MiB x 3 passes) and the costliest PBKDF2.
      expect(floor.probes).toBe(2);
      expect(floor.measuredWork.sort()).toEqual(["argon2:36864", `pbkdf2_sha256:${ITERATIONS}`]);
    });
  }, 60_000);

  it("holds under a burst: 50 wrong passwords at once get exactly LOGIN_RATE checks, each answered at the floor, and 429s", async () => {
    await withServer(
      async (server) => {
        const floor = await server.app.services.users.failedLoginFloor.refresh();
        const answers = await Promise.all(Array.from({ length: 50 }, () => login(server, "imported", WRONG)));
        const checked = answers.filter(({ res }) => res.body.errors?.[0]?.extensions?.code === "BAD_USER_INPUT");
        const throttled = answers.filter(({ res }) => res.status === 429);
        expect({ checked: checked.length, throttled: throttled.length }).toEqual({ checked: 5, throttled: 45 });
        for (const { res, ms } of checked) {
          expectError(res, FAILED);
          expect(ms).toBeGreaterThanOrEqual(floor - 1);
        }
      },
      { LOGIN_RATE: "5/min" },
    );
  }, 60_000);

  it("never delays the right password, and falls back to our own hash's cost once the imported hash is replaced", async () => {
    await withServer(async (server) => {
      const floor = await server.app.services.users.failedLoginFloor.refresh();
      // Our own hash's right password answers in its own time, under the floor (fastest of three tries).
      const right: number[] = [];
      for (let i = 0; i < 3; i++) {
        const { res, ms } = await login(server, "ours", PASSWORD);
        expect(res.body.errors).toBeUndefined();
        right.push(ms);
      }
      expect({ floor, right, under: Math.min(...right) < floor }).toMatchObject({ under: true });

      // The imported user's first login replaces the hash with ours; the next refresh forgets its cost.
      expect((await login(server, "imported", PASSWORD)).res.body.errors).toBeUndefined();
      expect((await findRow(server.app.db, "User", { username: "imported" })).password).toMatch(/^\$argon2id\$/);
      const after = await server.app.services.users.failedLoginFloor.refresh();
      // Each hasher's cost is measured once: the floor is now our argon2id's
      // measured cost, lower than the PBKDF2 one it was set from. By how much
      // varies (argon2id slows more than PBKDF2 on a loaded machine).
      expect({ floor, after, lower: after < floor }).toMatchObject({ lower: true });
    });
  }, 60_000);
});
