import { countRows, findRow } from "../support/rows";
import { createHash } from "node:crypto";
import { ensureBuilt, runNode } from "../support/build";
import { freshDatabaseUrl } from "../support/databases";
import { startProcess, stopCleanly } from "../support/processes";
import { describeWithDjango, makeDjangoSqlite, PASSWORDS } from "../manage/import-django/django-fixture";
import { startServer, type TestServer } from "../support/server";

// The audit trail outside requests: the manage commands are their own actor,
// `manage audit` prints the trail, and the server prunes it after
// AUDIT_RETENTION. Each command is the built program in a subprocess, on the
// same database as a live server.

jest.setTimeout(120_000);

let server: TestServer;
let env: Record<string, string>;

const manage = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) =>
  runNode("dist/manage/manage.js", args, { env: { ...env, ...opts.env }, input: opts.input, timeoutMs: 60_000 });

interface Row {
  kind: string;
  actorId: number | null;
  actorName: string | null;
  subjectId: number | null;
  subjectName: string | null;
  clientAddress: string | null;
  details: string | null;
}

/** The events stored since event `afterId`, in order. */
async function eventsAfter(afterId: number): Promise<(Row & { id: number })[]> {
  return server.app.db.kysely
    .selectFrom("AuthEvent")
    .select(["id", "kind", "actorId", "actorName", "subjectId", "subjectName", "clientAddress", "details"])
    .where("id", ">", afterId)
    .orderBy("id")
    .execute();
}

async function lastId(): Promise<number> {
  await server.app.audit.flush();
  const row = await server.app.db.kysely
    .selectFrom("AuthEvent")
    .select((eb) => eb.fn.max("id").as("id"))
    .executeTakeFirst();
  return Number(row?.id ?? 0);
}

const brief = (rows: Row[]) =>
  rows.map((r) => ({ kind: r.kind, actor: [r.actorId, r.actorName], subject: [r.subjectId, r.subjectName] }));

/** Every stored value of every event, as text: what the secret scan reads. */
async function storedText(): Promise<string[]> {
  const rows: Record<string, unknown>[] = await server.app.db.kysely.selectFrom("AuthEvent").selectAll().execute();
  return rows.flatMap((row) => Object.values(row).map(String));
}

const digest = (s: string) => createHash("sha256").update(s).digest("hex");

beforeAll(async () => {
  await ensureBuilt();
  const url = await freshDatabaseUrl();
  env = { DATABASE_URL: url };
  server = await startServer({ DATABASE_URL: url });
}, 120_000);
afterAll(() => server.close());

describe("manage commands record their events, as `manage <command>`", () => {
  it("createsuperuser, create-token, revoke-tokens and changepassword: each its events, once", async () => {
    const secrets: string[] = ["Super-pass-481", "granite-Lake-93"];
    let from = await lastId();
    const created = await manage(["createsuperuser", "--no-input", "--username", "root"], {
      env: { SUPERUSER_PASSWORD: "Super-pass-481" },
    });
    expect(created.code).toBe(0);
    secrets.push(/Generated token ([0-9a-f]{40})/.exec(created.stdout)![1]!);
    const root = await findRow(server.app.db, "User", { username: "root" });
    const rootSelf = [root.id, "root"];
    let rows = await eventsAfter(from);
    expect(brief(rows)).toEqual([
      { kind: "USER_CREATED", actor: [null, "manage createsuperuser"], subject: rootSelf },
      { kind: "KEY_ISSUED", actor: [null, "manage createsuperuser"], subject: rootSelf },
    ]);
    // No request, so no client.
    expect(rows.map((r) => r.clientAddress)).toEqual([null, null]);

    from = await lastId();
    const issued = await manage(["create-token", "root", "--name", "deploy", "--scope", "account"]);
    expect(issued.code).toBe(0);
    const key = /Generated token ([0-9a-f]{40})/.exec(issued.stdout)![1]!;
    secrets.push(key);
    rows = await eventsAfter(from);
    expect(brief(rows)).toEqual([{ kind: "KEY_ISSUED", actor: [null, "manage create-token"], subject: rootSelf }]);
    expect(JSON.parse(rows[0]!.details!)).toEqual({
      name: "deploy",
      prefix: key.slice(0, 8),
      scopes: ["ACCOUNT"],
      expiresAt: null,
    });

    from = await lastId();
    expect((await manage(["revoke-tokens", "root"])).code).toBe(0);
    rows = await eventsAfter(from);
    expect(brief(rows)).toEqual([{ kind: "KEY_REVOKED", actor: [null, "manage revoke-tokens"], subject: rootSelf }]);
    expect(JSON.parse(rows[0]!.details!)).toEqual({ all: true, count: 2 });

    from = await lastId();
    const changed = await manage(["changepassword", "root"], { input: "granite-Lake-93\ngranite-Lake-93\n" });
    expect(changed.code).toBe(0);
    // No key was left to revoke: only the change.
    expect(brief(await eventsAfter(from))).toEqual([
      { kind: "PASSWORD_CHANGED", actor: [null, "manage changepassword"], subject: rootSelf },
    ]);

    const stored = await storedText();
    for (const secret of secrets.flatMap((s) => [s, digest(s)])) {
      expect(stored.filter((text) => text.includes(secret))).toEqual([]);
    }
  });
});

describe("manage audit", () => {
  it("prints the events by or about a user, of the kinds asked, newest first", async () => {
    const { id } = await server.user("printed");
    await server.app.audit.flush();
    const res = await manage(["audit", "--user", "printed", "--since", "1d", "--kind", "key_issued,USER_CREATED"]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(`^\\S+Z  KEY_ISSUED +by -  on printed#${id}  \\{"name":"test","prefix":"[0-9a-f]{8}"`),
    );
    expect(lines[1]).toMatch(new RegExp(`^\\S+Z  USER_CREATED +by -  on printed#${id}  \\{"isStaff":false`));
    expect(Date.parse(lines[0]!.split(" ")[0]!)).toBeGreaterThanOrEqual(Date.parse(lines[1]!.split(" ")[0]!));
  });

  it("finds a deleted user's events by the name they kept", async () => {
    const { id } = await server.user("departed");
    await server.app.services.users.delete(String(id));
    await server.app.audit.flush();
    const res = await manage(["audit", "--user", "departed", "--kind", "USER_DELETED"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`USER_DELETED +by -  on departed#${id}\\n$`));
  });

  it("refuses an unknown kind or duration in one line, naming the option", async () => {
    const kind = await manage(["audit", "--kind", "LOGGED_IN"]);
    expect(kind.code).toBe(1);
    expect(kind.stderr).toMatch(/^--kind: "LOGGED_IN" is not one of LOGIN_ACCEPTED, .*\n$/);
    const since = await manage(["audit", "--since", "yesterday"]);
    expect(since.code).toBe(1);
    expect(since.stderr).toMatch(/^--since: "yesterday" is not a duration/);
  });
});

describe("retention", () => {
  it("the server prunes events older than AUDIT_RETENTION as it starts, and keeps the rest", async () => {
    const url = await freshDatabaseUrl();
    const seed = await startServer({ DATABASE_URL: url });
    const day = 86_400_000;
    try {
      await seed.app.db.kysely
        .insertInto("AuthEvent")
        .values([
          { createdAt: new Date(Date.now() - 40 * day), kind: "LOGIN_REFUSED", subjectName: "old" },
          { createdAt: new Date(Date.now() - 20 * day), kind: "LOGIN_REFUSED", subjectName: "recent" },
        ])
        .execute();
    } finally {
      await seed.close();
    }
    const proc = await startProcess({ DATABASE_URL: url, AUDIT_RETENTION: "30d", LOG_LEVEL: "info" });
    try {
      await proc.waitFor(/audit: pruned 1 event older than AUDIT_RETENTION/);
    } finally {
      await stopCleanly(proc);
    }
    const check = await startServer({ DATABASE_URL: url });
    try {
      const left = await check.app.db.kysely.selectFrom("AuthEvent").select("subjectName").execute();
      expect(left).toEqual([{ subjectName: "recent" }]);
    } finally {
      await check.close();
    }
  });
});

describeWithDjango("manage import-django", () => {
  it("records one DJANGO_IMPORTED with the counts, and none of the imported keys or passwords", async () => {
    const django = await makeDjangoSqlite();
    const from = await lastId();
    const { db } = server.app;
    const count = () => Promise.all([countRows(db, "User"), countRows(db, "Token"), countRows(db, "Student")]);
    const before = await count();
    const res = await manage(["import-django", django.file, "--on-conflict", "skip"]);
    expect(res.code).toBe(0);
    const after = await count();
    const rows = await eventsAfter(from);
    expect(brief(rows)).toEqual([
      { kind: "DJANGO_IMPORTED", actor: [null, "manage import-django"], subject: [null, null] },
    ]);
    const counts = JSON.parse(rows[0]!.details!) as Record<string, unknown>;
    expect(counts).toEqual(
      expect.objectContaining({
        users: after[0] - before[0],
        keys: after[1] - before[1],
        students: after[2] - before[2],
        skipped: expect.any(Object),
      }),
    );
    expect(counts.users).toBeGreaterThan(5);

    const stored = await storedText();
    const secrets = [...Object.values(django.keys), ...Object.values(PASSWORDS)].flatMap((s) => [s, digest(s)]);
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(stored.filter((text) => text.includes(secret))).toEqual([]);
  }, 600_000);
});
