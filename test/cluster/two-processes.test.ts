import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Client } from "pg";
import { emptyPostgresUrl } from "../support/databases";
import {
  DeleteUserDocument,
  ObtainTokenDocument,
  RegisterDocument,
  RevokeTokenDocument,
  WhoAmIDocument,
} from "../generated/graphql";
import { stopCleanly, manage, startProcess, type ServerProcess } from "../support/processes";
import { describePostgres } from "../support/providers";
import { auth, runAt } from "../support/server";

// Two API processes on different ports sharing one PostgreSQL database, as
// behind a load balancer: whatever one process does to keys, users and login
// counters holds at once in the other.

const PASSWORD = "a long enough passphrase 1";
// Real processes start slowly on a busy machine.
jest.setTimeout(180_000);

const RATE = 3;
const MIGRATIONS = join(__dirname, "..", "..", "prisma", "postgresql", "migrations");

describePostgres("two server processes sharing PostgreSQL", () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let adminToken: string;
  let databaseUrl: string;

  beforeAll(async () => {
    const DATABASE_URL = (databaseUrl = await emptyPostgresUrl());
    const env = { DATABASE_URL, LOGIN_RATE: `${RATE}/min`, LOG_LEVEL: "info" };
    // A migrates the empty database on start; B is started as a deployment
    // would start every other process, without migrating.
    a = await startProcess({ ...env, MIGRATE_ON_START: "true" });
    b = await startProcess({ ...env, MIGRATE_ON_START: "false" });
    const admin = await manage(
      ["createsuperuser", "--username", "admin", "--email", "admin@example.com", "--no-input"],
      {
        ...env,
        SUPERUSER_PASSWORD: PASSWORD,
      },
    );
    expect(admin.status).toBe(0);
    const login = await runAt(a.url, ObtainTokenDocument, { username: "admin", password: PASSWORD });
    adminToken = login.body.data!.obtainToken.token;
  });

  afterAll(async () => {
    await stopCleanly(a, b);
  });

  it("migrated the empty database (every migration, from A)", async () => {
    expect(a.url).not.toBe(b.url);
    expect(a.output()).toContain('"msg":"migrations: applied"');
    expect(b.output()).not.toContain('"msg":"migrations: ');
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const applied = await client.query<{ migration_name: string }>(
        "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name",
      );
      expect(applied.rows.map((r) => r.migration_name)).toEqual(
        readdirSync(MIGRATIONS)
          .filter((d) => /^\d+_/.test(d))
          .sort(),
      );
    } finally {
      await client.end();
    }
  });

  it("accepts on B a key issued through A", async () => {
    const reg = await runAt(a.url, RegisterDocument, {
      input: { username: "alice", email: "alice@example.com", password: PASSWORD },
    });
    const key = reg.body.data!.register.token;
    const me = await runAt(b.url, WhoAmIDocument, {}, auth(key));
    expect(me.status).toBe(200);
    expect(me.body.data).toEqual({ me: { username: "alice" } });
  });

  it("refuses on B, at once, a key revoked through A", async () => {
    const login = await runAt(a.url, ObtainTokenDocument, { username: "admin", password: PASSWORD });
    const key = login.body.data!.obtainToken.token;
    expect((await runAt(b.url, WhoAmIDocument, {}, auth(key))).body.data).toEqual({ me: { username: "admin" } });
    const revoke = await runAt(a.url, RevokeTokenDocument, {}, auth(key));
    expect(revoke.body.data).toEqual({ revokeToken: true });
    const after = await runAt(b.url, WhoAmIDocument, {}, auth(key));
    expect(after.status).toBe(401);
    expect(after.body.errors?.[0]?.message).toBe("Invalid token.");
  });

  it("makes A refuse the keys of a user deleted through B", async () => {
    const reg = await runAt(a.url, RegisterDocument, {
      input: { username: "carol", email: "carol@example.com", password: PASSWORD },
    });
    const { token: key, user } = reg.body.data!.register;
    expect((await runAt(a.url, WhoAmIDocument, {}, auth(key))).body.data).toEqual({ me: { username: "carol" } });
    const del = await runAt(b.url, DeleteUserDocument, { id: user.id }, auth(adminToken));
    expect(del.body.data).toEqual({ deleteUser: true });
    const after = await runAt(a.url, WhoAmIDocument, {}, auth(key));
    expect(after.status).toBe(401);
    expect(after.body.errors?.[0]?.message).toBe("Invalid token.");
  });

  // Last: the per-address counter this spends also throttles the other
  // logins from 127.0.0.1.
  it("counts failed logins through A and B toward one LOGIN_RATE", async () => {
    const wrong = { username: "mallory", password: "not the password" };
    const spent = [];
    for (const server of [a, b, a].slice(0, RATE))
      spent.push((await runAt(server.url, ObtainTokenDocument, wrong)).body.errors?.[0]?.extensions?.code);
    expect(spent).toEqual(Array(RATE).fill("BAD_USER_INPUT"));
    for (const server of [b, a]) {
      const res = await runAt(server.url, ObtainTokenDocument, wrong);
      expect(res.status).toBe(429);
      expect(res.body.errors?.[0]?.extensions?.code).toBe("TOO_MANY_REQUESTS");
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    }
  });
});
