import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { OBTAIN, post, type Answer } from "./burst";
import { freshDatabaseUrl, testDatabase } from "../support/databases";
import { manage, startProcess, stopCleanly, workerPids, type ServerProcess } from "../support/processes";
import { REDIS_SERVER, startRedisServer, type RedisServer } from "../support/redis-server";
import { itWithTool } from "../support/system-tool";

// A Redis that stops answering without going away: a redis-server of the
// test's own, frozen with SIGSTOP in the middle of a stream of logins and
// signed-in requests to 2 workers, then resumed with SIGCONT. Its
// connections stay open, so only REDIS_TIMEOUT can tell.
//
// Nothing here depends on the machine's speed beyond generous bounds: a
// request that starts while Redis is frozen cannot get an answer from Redis,
// so a login answered before the resume proves it did not wait for Redis,
// and its status proves it failed closed. Every login is from an address and
// for a username of its own, so no limit is reached before the freeze.

const RATE = 5;
const TIMEOUT_MS = 500;
/** Time a request may take on a busy machine beyond REDIS_TIMEOUT. */
const SLACK_MS = 3000;
const PASSWORD = "a long enough passphrase 1";
const LOST = "Redis (REDIS_URL) is not answering";
const BACK = "Redis (REDIS_URL) is answering again";
// Real processes start slowly on a busy machine.
jest.setTimeout(240_000);

const it = itWithTool(REDIS_SERVER, "redis-server");

const ME = "{ me { id username } }";

interface Sent {
  kind: "login" | "me";
  start: number;
  end: number;
  answer: Answer | null;
  /** Set when no answer came (a failed connection, or nothing within 30 s). */
  error?: string;
}

/** POST with a bound of its own, so a request that hangs fails the test instead of stalling it. */
async function send(kind: Sent["kind"], url: string, request: Parameters<typeof post>[1]): Promise<Sent> {
  const start = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = await Promise.race([
      post(url, request),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("no answer within 30 s")), 30_000);
      }),
    ]);
    return { kind, start, end: Date.now(), answer };
  } catch (e) {
    return { kind, start, end: Date.now(), answer: null, error: (e as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** The pino lines of `output` whose message starts with `text`, as [pid, message]. */
function logLines(output: string, text: string): [number, string][] {
  const lines: [number, string][] = [];
  for (const line of output.split("\n")) {
    if (!line.includes(text)) continue;
    try {
      const parsed = JSON.parse(line) as { pid: number; msg: string };
      if (parsed.msg.startsWith(text)) lines.push([parsed.pid, parsed.msg]);
    } catch {
      // a line cut between two chunks: read again next time
    }
  }
  return lines;
}

/** Waits until every pid of `pids` logged `text`. */
async function loggedByEach(server: ServerProcess, pids: number[], text: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const seen = new Set(logLines(server.output(), text).map(([pid]) => pid));
    if (pids.every((pid) => seen.has(pid))) return;
    if (Date.now() > deadline) throw new Error(`not every worker logged "${text}":\n${server.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pids of both workers, once each has logged that it listens (pino writes asynchronously). */
async function bothWorkers(server: ServerProcess): Promise<number[]> {
  const deadline = Date.now() + 120_000;
  while (new Set(workerPids(server.output())).size < 2) {
    if (Date.now() > deadline) throw new Error(`two workers did not start:\n${server.output()}`);
    await sleep(50);
  }
  return [...new Set(workerPids(server.output()))];
}

describe(`Redis frozen (SIGSTOP) and resumed, WEB_CONCURRENCY=2 (${testDatabase()})`, () => {
  // Unique per run, so a reader of this Redis can tell the run's keys.
  const prefix = `dtg-test-${randomBytes(6).toString("hex")}:`;
  let redis: RedisServer;
  let server: ServerProcess;
  let pids: number[];
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    redis = await startRedisServer();
    const DATABASE_URL = await freshDatabaseUrl();
    for (const username of ["target", "later"]) {
      const made = await manage(
        ["createsuperuser", "--username", username, "--email", `${username}@example.com`, "--no-input"],
        { DATABASE_URL, SUPERUSER_PASSWORD: PASSWORD },
      );
      expect(made.status).toBe(0);
    }
    server = await startProcess({
      DATABASE_URL,
      WEB_CONCURRENCY: "2",
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      REDIS_TIMEOUT: `${TIMEOUT_MS}ms`,
      LOGIN_RATE: `${RATE}/min`,
      // High enough that the stream below never meets it.
      USER_RATE: "10000/min",
      // Each login of the stream comes from an address of its own.
      TRUST_PROXY: "1",
      MIGRATE_ON_START: "false",
      LOG_LEVEL: "info",
    });
    pids = await bothWorkers(server);
    for (const [i, username] of ["target", "later"].entries()) {
      const res = await post(server.url, {
        query: `${OBTAIN}`,
        variables: { username, password: PASSWORD },
        headers: { "x-forwarded-for": `10.1.0.${i + 1}` },
      });
      const token = (res.body.data?.obtainToken as { token: string } | undefined)?.token;
      expect(token).toMatch(/^[0-9a-f]{40}$/);
      keys[username] = token!;
    }
  });

  afterAll(async () => {
    redis?.resume();
    await stopCleanly(server);
    await redis?.stop();
  });

  it("says at start that limits are counted in Redis", () => {
    expect(server.output()).toContain("Login limits: counted in Redis (REDIS_URL), shared by every process using it");
  });

  it("answers logins with 503 and signed-in requests with 200 while Redis is frozen, without waiting for it", async () => {
    const sent: Sent[] = [];
    let stopping = false;
    let n = 0;
    const logins = (async () => {
      while (!stopping) {
        n++;
        sent.push(
          await send("login", server.url, {
            query: OBTAIN,
            variables: { username: `ghost${n}`, password: "not the password" },
            headers: { "x-forwarded-for": `10.77.${n >> 8}.${n & 255}` },
          }),
        );
      }
    })();
    const signedIn = (async () => {
      while (!stopping) {
        sent.push(
          await send("me", server.url, {
            query: ME,
            variables: {},
            headers: { authorization: `Token ${keys.target}` },
          }),
        );
        await sleep(20);
      }
    })();

    // Frozen once a login has been checked against Redis (on a loaded machine one takes ~0.5 s).
    const deadline = Date.now() + 30_000;
    while (!sent.some((s) => s.kind === "login" && s.answer?.status === 200)) {
      if (Date.now() > deadline) throw new Error("no login was answered within 30 s before the freeze");
      await sleep(50);
    }
    await sleep(200);
    const frozenAt = Date.now();
    redis.freeze();
    await loggedByEach(server, pids, LOST);
    // Long enough that a request waiting for Redis would still be waiting.
    await sleep(SLACK_MS + 2000);
    const resumedAt = Date.now();
    redis.resume();
    await loggedByEach(server, pids, BACK);
    stopping = true;
    await Promise.all([logins, signedIn]);

    // Never a 500, never a hang; logins answered or refused, the other requests served.
    expect(sent.filter((s) => s.error !== undefined)).toEqual([]);
    for (const s of sent) {
      const a = s.answer!;
      const code = a.body.errors?.[0]?.extensions?.code;
      if (s.kind === "me") {
        expect({ status: a.status, body: a.body }).toEqual({
          status: 200,
          body: { data: { me: { id: expect.any(String), username: "target" } } },
        });
      } else if (a.status === 503) {
        expect(a.retryAfter).toBe(2);
        expect(a.body).toEqual({
          errors: [
            expect.objectContaining({
              message: "Login limits are unavailable; try again shortly.",
              extensions: expect.objectContaining({ code: "SERVICE_UNAVAILABLE", retryAfter: 2 }),
            }),
          ],
        });
      } else {
        expect({ status: a.status, code }).toEqual({ status: 200, code: "BAD_USER_INPUT" });
      }
    }

    // Started after the freeze, well before the resume: answered before the
    // resume, within REDIS_TIMEOUT and the slack; logins refused (503),
    // never checked against counters this process kept alone.
    const during = sent.filter((s) => s.start > frozenAt + 50 && s.start < resumedAt - TIMEOUT_MS - SLACK_MS);
    const loginsDuring = during.filter((s) => s.kind === "login");
    const meDuring = during.filter((s) => s.kind === "me");
    expect(loginsDuring.length).toBeGreaterThan(0);
    expect(meDuring.length).toBeGreaterThan(0);
    for (const s of during) {
      expect(s.end).toBeLessThan(resumedAt);
      expect(s.end - s.start).toBeLessThanOrEqual(TIMEOUT_MS + SLACK_MS);
    }
    expect(loginsDuring.map((s) => s.answer!.status)).toEqual(loginsDuring.map(() => 503));
    // Before the freeze, logins were checked.
    expect(sent.some((s) => s.kind === "login" && s.end < frozenAt && s.answer!.status === 200)).toBe(true);
  });

  it("counts in Redis again after the resume, both workers together", async () => {
    // Wrong passwords for one user from one address, each on a connection of
    // its own, so the two workers take turns: exactly LOGIN_RATE are checked.
    const codes: unknown[] = [];
    for (let i = 0; i < 2 * RATE; i++) {
      const a = await post(server.url, {
        query: OBTAIN,
        variables: { username: "after", password: "not the password" },
        headers: { "x-forwarded-for": "10.2.0.1" },
      });
      codes.push(a.body.errors?.[0]?.extensions?.code);
    }
    expect(codes).toEqual([...Array(RATE).fill("BAD_USER_INPUT"), ...Array(RATE).fill("TOO_MANY_REQUESTS")]);

    // USER_RATE: each signed-in request of `later` (its first since it
    // signed in) counted once, in Redis, whichever worker served it.
    const ids = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const a = await post(server.url, { query: ME, variables: {}, headers: { authorization: `Token ${keys.later}` } });
      expect(a.status).toBe(200);
      ids.add((a.body.data?.me as { id: string }).id);
    }
    expect(ids.size).toBe(1);
    const client = new Redis(redis.url);
    try {
      expect(await client.get(`${prefix}user:${[...ids][0]}`)).toBe("6");
    } finally {
      await client.quit();
    }
  });

  it("logged the loss and the return of Redis once in each worker", () => {
    const output = server.output();
    for (const text of [LOST, BACK]) {
      const pidsLogged = logLines(output, text).map(([pid]) => pid);
      expect(pidsLogged.sort()).toEqual([...pids].sort());
    }
  });
});

describe(`Redis frozen before the start, WEB_CONCURRENCY=2 (${testDatabase()})`, () => {
  let redis: RedisServer;
  let server: ServerProcess;

  beforeAll(async () => {
    redis = await startRedisServer();
    redis.freeze();
    server = await startProcess({
      DATABASE_URL: await freshDatabaseUrl(),
      WEB_CONCURRENCY: "2",
      REDIS_URL: redis.url,
      REDIS_PREFIX: `dtg-test-${randomBytes(6).toString("hex")}:`,
      REDIS_TIMEOUT: `${TIMEOUT_MS}ms`,
      LOG_LEVEL: "info",
    });
  });

  afterAll(async () => {
    redis?.resume();
    await stopCleanly(server);
    await redis?.stop();
  });

  it("starts anyway, says limits are not counted in Redis, and counts there once it answers", async () => {
    expect(server.output()).toContain(
      "Login limits: Redis (REDIS_URL) is not answering: logins and sign-ups are refused (503) until it does; USER_RATE is counted in this process",
    );
    const pids = await bothWorkers(server);
    await loggedByEach(server, pids, LOST);
    const refused = await post(server.url, { query: OBTAIN, variables: { username: "x", password: "y" } });
    expect({ status: refused.status, retryAfter: refused.retryAfter }).toEqual({ status: 503, retryAfter: 2 });

    redis.resume();
    await loggedByEach(server, pids, BACK);
    const checked = await post(server.url, { query: OBTAIN, variables: { username: "x", password: "y" } });
    expect({ status: checked.status, code: checked.body.errors?.[0]?.extensions?.code }).toEqual({
      status: 200,
      code: "BAD_USER_INPUT",
    });
  });
});
