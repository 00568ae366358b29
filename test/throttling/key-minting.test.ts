import { countRows } from "../support/rows";
import { MyTokensDocument, ObtainTokenDocument } from "../generated/graphql";
import { freshDatabaseUrl, testDatabase } from "../support/databases";
import { manage, startProcess, stopCleanly, workerPids, type ServerProcess } from "../support/processes";
import { auth, PASSWORD, runAt, startServer, type TestServer } from "../support/server";
import { burst, logins, tally, type Answer, type Request } from "./burst";

// Bounds on the keys a right password can mint:
// - TOKEN_LIMIT_PER_USER (django-rest-knox's setting): past it, a login
//   answers 403 FORBIDDEN with knox's message and no key. Counted in the
//   statement (SQLite) or under the user row's lock (PostgreSQL) that
//   inserts, so logins released together, over 1 or 2 workers, stop exactly
//   at the limit. Expired keys do not count.
// - LOGIN_SUCCESS_RATE: successful logins per username and address; past it,
//   429 with the contract's throttle message, whatever the password.

const KNOX_MESSAGE = "Maximum amount of tokens allowed per user exceeded.";
jest.setTimeout(300_000);

function rightLogins(username: string, password: string, size: number, headers?: Record<string, string>): Request[] {
  return logins(username, size).map((r) => ({ ...r, variables: { ...r.variables, password }, headers }));
}

function forbidden(answers: Answer[]): number {
  return answers.filter(
    (a) =>
      a.status === 403 &&
      a.body.errors?.length === 1 &&
      a.body.errors[0]!.message === KNOX_MESSAGE &&
      a.body.errors[0]!.extensions?.code === "FORBIDDEN",
  ).length;
}

describe.each([1, 2])(
  `TOKEN_LIMIT_PER_USER=10, 30 parallel logins, WEB_CONCURRENCY=%i (${testDatabase()})`,
  (workers) => {
    const password = "a long enough passphrase 1";
    let server: ServerProcess;

    beforeAll(async () => {
      const DATABASE_URL = await freshDatabaseUrl();
      // The user's first key comes with it: 9 more fit.
      const made = await manage(
        ["createsuperuser", "--username", "holder", "--email", "holder@example.com", "--no-input"],
        { DATABASE_URL, SUPERUSER_PASSWORD: password },
      );
      expect(made.status).toBe(0);
      server = await startProcess({
        DATABASE_URL,
        WEB_CONCURRENCY: String(workers),
        TOKEN_LIMIT_PER_USER: "10",
        // Every check at once, so the inserts at the limit meet.
        LOGIN_RATE: "100/min",
        LOGIN_QUEUE_TIMEOUT: "5m",
        MIGRATE_ON_START: "false",
        LOG_LEVEL: "info",
      });
      const deadline = Date.now() + 120_000;
      while (workers > 1 && new Set(workerPids(server.output())).size < workers) {
        if (Date.now() > deadline) throw new Error(`${workers} workers did not start:\n${server.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    afterAll(() => stopCleanly(server));

    it("issues 9 keys and refuses 21 logins with knox's 403: exactly 10 keys after", async () => {
      const answers = await burst(server.url, rightLogins("holder", password, 30));
      expect(tally(answers, "obtainToken", 60)).toMatchObject({ ok: 9, refused: 0, throttled: 0 });
      expect(forbidden(answers)).toBe(21);
      const key = answers.find((a) => a.status === 200)!.body.data!.obtainToken.token as string;
      const mine = await runAt(server.url, MyTokensDocument, undefined, auth(key));
      expect(mine.body.data!.myTokens).toHaveLength(10);
      // And the next one, on its own.
      const next = await burst(server.url, rightLogins("holder", password, 1));
      expect(forbidden(next)).toBe(1);
    });
  },
);

describe(`TOKEN_LIMIT_PER_USER=10, 30 inserts at once through two servers on one database (${testDatabase()})`, () => {
  // Over HTTP the password checks (argon2, a few at a time per process)
  // spread the inserts out; here 30 logins' inserts, past their checks, meet
  // head-on, each server with its own connections.
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const DATABASE_URL = await freshDatabaseUrl();
    a = await startServer({ DATABASE_URL, TOKEN_LIMIT_PER_USER: "10" });
    b = await startServer({ DATABASE_URL, TOKEN_LIMIT_PER_USER: "10" });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it("inserts exactly 9 more keys and refuses the rest with knox's message", async () => {
    const { id } = await a.user("racer");
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? a : b).app.services.tokens.issue(id, `race ${i}`, { withinLimit: true }),
      ),
    );
    const issued = results.filter((r) => r.status === "fulfilled" && r.value !== null);
    const refused = results.filter((r) => r.status === "rejected" && (r.reason as Error).message === KNOX_MESSAGE);
    expect([issued.length, refused.length]).toEqual([9, 21]);
    expect(await countRows(a.app.db, "Token", { userId: id })).toBe(10);
  });
});

describe(`TOKEN_LIMIT_PER_USER counts live keys only (${testDatabase()})`, () => {
  let server: TestServer;
  let clock = Date.now();
  beforeAll(async () => {
    server = await startServer({ TOKEN_LIMIT_PER_USER: "3" }, { now: () => new Date(clock) });
  });
  afterAll(() => server.close());

  it("refuses the login past the limit, and counts a key no longer once it expired", async () => {
    await server.user("ada"); // its first key, for good
    const login = (expiresIn?: string) =>
      server.run(ObtainTokenDocument, { username: "ada", password: PASSWORD, expiresIn });
    expect((await login("1m")).body.data?.obtainToken.token).toBeDefined();
    expect((await login()).body.data?.obtainToken.token).toBeDefined();
    const refused = await login();
    expect(refused.status).toBe(403);
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ message: KNOX_MESSAGE, extensions: expect.objectContaining({ code: "FORBIDDEN" }) }),
    ]);
    clock += 2 * 60_000;
    expect((await login()).body.data?.obtainToken.token).toBeDefined();
    expect((await login()).status).toBe(403);
  });
});

describe(`LOGIN_SUCCESS_RATE=3/min, per username and address (${testDatabase()})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ LOGIN_SUCCESS_RATE: "3/min", TRUST_PROXY: "1" });
    await server.user("bob");
  });
  afterAll(() => server.close());
  const from = (address: string) => ({ "x-forwarded-for": address });

  it("lets 3 of 10 parallel right passwords in, refuses 7 with 429, and another address still logs in", async () => {
    const answers = await burst(server.url, rightLogins("bob", PASSWORD, 10, from("10.0.0.1")));
    expect(tally(answers, "obtainToken", 60)).toEqual({ ok: 3, refused: 0, throttled: 7, other: [] });
    for (const a of answers.filter((a) => a.status === 429))
      expect(a.body.errors![0]!.message).toBe(`Request was throttled. Expected available in ${a.retryAfter} seconds.`);
    const elsewhere = await burst(server.url, rightLogins("bob", PASSWORD, 1, from("10.0.0.2")));
    expect(tally(elsewhere, "obtainToken", 60)).toMatchObject({ ok: 1 });
  });

  it("does not count wrong passwords as successes", async () => {
    const wrong = logins("bob", 2).map((r) => ({ ...r, headers: from("10.0.0.3") }));
    expect(tally(await burst(server.url, wrong), "obtainToken", 60)).toMatchObject({ refused: 2 });
    const right = await burst(server.url, rightLogins("bob", PASSWORD, 3, from("10.0.0.3")));
    expect(tally(right, "obtainToken", 60)).toEqual({ ok: 3, refused: 0, throttled: 0, other: [] });
  });
});
