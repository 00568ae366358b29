import { MeDocument, StudentsDocument } from "../generated/graphql";
import { freshPostgresUrl } from "../support/databases";
import { PGBOUNCER, databaseName, startPgBouncer, type PgBouncer } from "../support/pgbouncer";
import { manage, startProcess, stopCleanly, type ServerProcess } from "../support/processes";
import { describePostgres } from "../support/providers";
import { auth, runAt } from "../support/server";
import { itWithTool } from "../support/system-tool";

// PostgreSQL behind a real PgBouncer in transaction mode, as a deployment
// runs it: the app serves through it (statements unnamed: `pgbouncer=true`),
// and when the database stops answering mid-load (PgBouncer PAUSE holds
// every new query) each request waits at most DATABASE_TIMEOUT and answers
// 503 with Retry-After (never 500), /readyz says 503, one line is logged for
// the outage (not one per request), and after RESUME the same server serves
// again without a restart.

jest.setTimeout(180_000);

const itPgBouncer = itWithTool(PGBOUNCER, "pgbouncer");
const PASSWORD = "obsidian-Tower-61";

async function superuserKey(url: string): Promise<string> {
  const created = await manage(["createsuperuser", "--no-input", "--username", "bouncer", "--email", "b@example.com"], {
    DATABASE_URL: url,
    SUPERUSER_PASSWORD: PASSWORD,
  });
  expect(created.status).toBe(0);
  return /([0-9a-f]{40,})/.exec(created.output)![1]!;
}

/** `loops` clients sending `me` and `students` one after another until `stop` resolves; every status seen. */
interface Seen {
  status: number;
  retryAfter: string | null;
  code?: string;
  sentAt: number;
  answeredAt: number;
}

/** `loops` clients calling one request after another until `stop`; each answer goes into `seen` as it comes. */
async function load(server: ServerProcess, key: string, loops: number, stop: Promise<unknown>, seen: Seen[]) {
  let done = false;
  void stop.then(() => (done = true));
  await Promise.all(
    Array.from({ length: loops }, async (_, i) => {
      while (!done) {
        const sentAt = Date.now();
        const res =
          i % 2 === 0
            ? await runAt(server.url, MeDocument, {}, auth(key))
            : await runAt(server.url, StudentsDocument, {}, auth(key));
        seen.push({
          status: res.status,
          retryAfter: res.headers.get("retry-after"),
          code: res.body.errors?.[0]?.extensions?.code,
          sentAt,
          answeredAt: Date.now(),
        });
      }
    }),
  );
  return seen;
}

describePostgres("through PgBouncer in transaction mode", () => {
  let bouncer: PgBouncer | undefined;
  afterEach(async () => {
    await bouncer?.stop();
    bouncer = undefined;
  });

  itPgBouncer.each([1, 2])(
    "serves with %i worker(s), and a database that stops answering mid-load gives 503s, one log line, and recovery",
    async (workers) => {
      bouncer = await startPgBouncer();
      const direct = await freshPostgresUrl();
      const key = await superuserKey(direct);
      const server = await startProcess({
        DATABASE_URL: bouncer.through(direct),
        WEB_CONCURRENCY: String(workers),
        DATABASE_TIMEOUT: "1s",
        LOG_LEVEL: "info",
      });
      try {
        // Served through PgBouncer: many requests on few server connections, statements unnamed.
        const warm = await Promise.all(
          Array.from({ length: 24 }, (_, i) =>
            i % 2 === 0
              ? runAt(server.url, MeDocument, {}, auth(key))
              : runAt(server.url, StudentsDocument, {}, auth(key)),
          ),
        );
        expect(warm.map((r) => r.status)).toEqual(warm.map(() => 200));

        let pausedAt = 0;
        let resumedAt = 0;
        let recoveredAt = 0;
        let readyDuringPause = 0;
        const seen: Seen[] = [];
        const outage = (async () => {
          await new Promise((r) => setTimeout(r, 500));
          await bouncer.pause(databaseName(direct));
          pausedAt = Date.now();
          await new Promise((r) => setTimeout(r, 2500));
          readyDuringPause = (await fetch(`${server.url}/readyz`)).status;
          await bouncer.resume(databaseName(direct));
          resumedAt = Date.now();
          // The queries that timed out during the pause still run once PgBouncer
          // resumes, and a loaded machine takes a while over them: recovery is
          // the first answer, to a request sent after RESUME, that is a 200.
          const deadline = resumedAt + 20_000;
          for (;;) {
            const first = seen.find((s) => s.sentAt > resumedAt && s.status === 200);
            if (first) {
              recoveredAt = first.answeredAt;
              break;
            }
            if (Date.now() > deadline) break;
            await new Promise((r) => setTimeout(r, 20));
          }
          // Then a stretch of load whose last part must be all answered (the
          // pool may still be replacing the connections that timed out).
          await new Promise((r) => setTimeout(r, 2500));
        })();
        await load(server, key, 8, outage, seen);
        await outage;
        if (process.env.SHOW_COSTS) console.log(JSON.stringify({ recoveryMs: recoveredAt - resumedAt }));
        expect({ resumedAt, recovered: recoveredAt > 0 }).toMatchObject({ recovered: true });

        expect(seen.filter((s) => s.status === 500)).toEqual([]);
        const refused = seen.filter((s) => s.status === 503);
        expect(refused.length).toBeGreaterThan(0);
        for (const r of refused) {
          expect(r.code).toBe("SERVICE_UNAVAILABLE");
          expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
        }
        expect(new Set(seen.map((s) => s.status))).toEqual(new Set([200, 503]));
        expect(readyDuringPause).toBe(503);
        // Recovered without a restart: every request sent from a second after the first 200 on was answered.
        const tail = seen.filter((s) => s.sentAt > recoveredAt + 1000);
        expect(tail.length).toBeGreaterThan(0);
        expect(new Set(tail.map((s) => s.status))).toEqual(new Set([200]));
        expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
        expect(pausedAt).toBeGreaterThan(0);

        // One line when it stopped answering and one when it answered again, per worker.
        const lines = server.output().split("\n");
        const down = lines.filter((l) => l.includes("database: not answering"));
        const back = lines.filter((l) => l.includes("database: answering again"));
        expect(down.length).toBeGreaterThanOrEqual(1);
        expect(down.length).toBeLessThanOrEqual(workers);
        expect(back.length).toBe(down.length);
        expect(lines.filter((l) => l.includes("internal server error"))).toEqual([]);
      } finally {
        await stopCleanly(server);
      }
    },
  );
});
