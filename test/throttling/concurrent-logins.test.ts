import { MyTokensDocument, ObtainTokenDocument } from "../generated/graphql";
import { freshDatabaseUrl, testDatabase } from "../support/databases";
import { parseSamples, value } from "../support/metrics";
import { manage, startProcess, stopCleanly, workerPids, type ServerProcess } from "../support/processes";
import { auth, PASSWORD as TEST_PASSWORD, runAt, startServer, type TestServer } from "../support/server";
import { burst, logins, tally, type Request } from "./burst";

// LOGIN_RATE counts failed checks and checks in progress; a right password
// must never be refused because other checks were in progress when it came.
// The built server (`node dist/main.js`) with 1 and 2 workers on the run's
// database, every request on a connection of its own released at once:
//
// - 40 right passwords for one user, LOGIN_RATE=5/min: 40 keys, all
//   different and all working. The requests did meet in the server: some
//   found the 5 points held by checks in progress and waited for them
//   (auth_password_check_waits_total > 0).
// - then 50 wrong passwords for another user from the same address: exactly
//   5 checked (BAD_USER_INPUT), 45 refused with 429 and a Retry-After of 1
//   to 60 s, once those 5 had failed.
//
// LOGIN_QUEUE_TIMEOUT is set far above any wait here, so the answers do not
// depend on the machine's speed.

const RATE = 5;
const PASSWORD = "a long enough passphrase 1";
const METRICS_TOKEN = "concurrent-logins-metrics-secret";
jest.setTimeout(300_000);

async function createUser(databaseUrl: string, username: string): Promise<void> {
  const made = await manage(
    ["createsuperuser", "--username", username, "--email", `${username}@example.com`, "--no-input"],
    { DATABASE_URL: databaseUrl, SUPERUSER_PASSWORD: PASSWORD },
  );
  expect(made.status).toBe(0);
}

async function waits(server: ServerProcess): Promise<number> {
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  return value(parseSamples(await res.text()), "auth_password_check_waits_total");
}

describe.each([1, 2])(`LOGIN_RATE=${RATE}/min, parallel logins, WEB_CONCURRENCY=%i (${testDatabase()})`, (workers) => {
  let server: ServerProcess;

  beforeAll(async () => {
    const DATABASE_URL = await freshDatabaseUrl();
    await createUser(DATABASE_URL, "target");
    await createUser(DATABASE_URL, "other");
    server = await startProcess({
      DATABASE_URL,
      WEB_CONCURRENCY: String(workers),
      LOGIN_RATE: `${RATE}/min`,
      LOGIN_QUEUE_TIMEOUT: "5m",
      METRICS: "bearer",
      METRICS_TOKEN,
      MIGRATE_ON_START: "false",
      LOG_LEVEL: "info",
    });
    const deadline = Date.now() + 120_000;
    // One process prints no worker lines: it serves once "Serving GraphQL" is out.
    while (workers > 1 && new Set(workerPids(server.output())).size < workers) {
      if (Date.now() > deadline) throw new Error(`${workers} workers did not start:\n${server.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(() => stopCleanly(server));

  it("gives 40 parallel right passwords 40 different working keys", async () => {
    const before = await waits(server);
    const right: Request[] = logins("target", 40).map((r) => ({
      ...r,
      variables: { ...r.variables, password: PASSWORD },
    }));
    const answers = await burst(server.url, right);
    expect(tally(answers, "obtainToken", 60)).toEqual({ ok: 40, refused: 0, throttled: 0, other: [] });
    const keys = answers.map((a) => a.body.data!.obtainToken.token as string);
    expect(new Set(keys).size).toBe(40);
    for (const key of keys) {
      const mine = await runAt(server.url, MyTokensDocument, undefined, auth(key));
      expect(mine.body.errors).toBeUndefined();
      expect(mine.body.data!.myTokens.filter((t) => t.current)).toHaveLength(1);
    }
    // More than LOGIN_RATE checks were asked for at once: some waited for the others.
    expect((await waits(server)) - before).toBeGreaterThan(0);
  });

  it("still checks exactly 5 of 50 parallel wrong passwords from that address", async () => {
    const answers = await burst(server.url, logins("other", 50));
    expect(tally(answers, "obtainToken", 60)).toEqual({ ok: 0, refused: RATE, throttled: 50 - RATE, other: [] });
  });
});

describe(`LOGIN_QUEUE_TIMEOUT bounds the wait (${testDatabase()})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ LOGIN_RATE: "1/min", LOGIN_QUEUE_TIMEOUT: "2s" });
    await server.user("ada");
  });
  afterAll(() => server.close());

  it("refuses a right password with 429 once it waited that long for a check that never ends", async () => {
    // What a process killed mid-check leaves in the store (rate-limiter-flexible's
    // rows, `<prefix>:<key>`): the point it took, and its count of checks in progress.
    const expire = (seconds: number) => Date.now() + seconds * 1000;
    await server.app.db.kysely
      .insertInto("rate_limit")
      .values([
        { key: "login-user:ada", points: 1, expire: expire(60) },
        { key: "login-user-checking:ada", points: 1, expire: expire(600) },
      ])
      .execute();
    const started = Date.now();
    const res = await server.run(ObtainTokenDocument, { username: "ada", password: TEST_PASSWORD });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(res.status).toBe(429);
    expect(res.body.errors?.[0]?.extensions?.code).toBe("TOO_MANY_REQUESTS");
    // Once its count of checks in progress is gone, the point it kept counts as a failed check.
    await server.app.db.kysely.deleteFrom("rate_limit").where("key", "=", "login-user-checking:ada").execute();
    const again = await server.run(ObtainTokenDocument, { username: "ada", password: TEST_PASSWORD });
    expect(again.status).toBe(429);
  });
});
