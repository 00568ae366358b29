import { execute, findRow } from "../support/rows";
import { createHash, randomUUID } from "node:crypto";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import {
  AuthEventsDocument,
  ChangePasswordDocument,
  CreateTokenDocument,
  CreateUserDocument,
  DeleteUserDocument,
  ObtainTokenDocument,
  PatchUserDocument,
  RegisterDocument,
  RevokeAllTokensDocument,
  RevokeTokenDocument,
  UpdateUserDocument,
  type AuthEventKind,
} from "../generated/graphql";
import { NOT_AUTHENTICATED, NOT_STAFF, expectError } from "../support/expect";
import { auth, PASSWORD, startServer, type GraphQLResponse, type TestServer, type TypedArgs } from "../support/server";

// The audit trail over real HTTP: every kind of event once for its action,
// with its actor and subject, from the request that caused it; never a
// password, a key or a digest in any stored value.

interface StoredEvent {
  kind: string;
  actorId: number | null;
  actorName: string | null;
  subjectId: number | null;
  subjectName: string | null;
  clientAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: string | null;
}

let server: TestServer;
let staff: { id: number; token: string };
/** Every key and password this file sends or receives: none may be stored in an event. */
const secrets = new Set<string>([PASSWORD]);

/** Sends `document` as one request with its own X-Request-ID; returns the answer and that id. */
async function send<TData, TVariables>(
  document: TypedDocumentNode<TData, TVariables>,
  ...[variables, headers]: TypedArgs<TVariables>
): Promise<{ res: GraphQLResponse<TData>; requestId: string }> {
  const requestId = `audit-${randomUUID()}`;
  const args = [variables, { ...headers, "x-request-id": requestId }] as unknown as TypedArgs<TVariables>;
  const res = await server.run(document, ...args);
  collectKeys(res.body.data);
  return { res, requestId };
}

function collectKeys(data: unknown): void {
  JSON.stringify(data ?? null, (k, v: unknown) => {
    if (k === "token" && typeof v === "string") secrets.add(v);
    return v;
  });
}

/** The events stored for one request, once the writer has written them. */
async function eventsOf(requestId: string): Promise<StoredEvent[]> {
  await server.app.audit.flush();
  return server.app.db.kysely
    .selectFrom("AuthEvent")
    .select([
      "kind",
      "actorId",
      "actorName",
      "subjectId",
      "subjectName",
      "clientAddress",
      "userAgent",
      "requestId",
      "details",
    ])
    .where("requestId", "=", requestId)
    .orderBy("kind")
    .execute();
}

/** kind, actor and subject of each event, sorted by kind: what a test states exactly. */
const summary = (events: StoredEvent[]) =>
  events.map((e) => ({
    kind: e.kind,
    actor: [e.actorId, e.actorName],
    subject: [e.subjectId, e.subjectName],
  }));

const details = (event: StoredEvent | undefined) => JSON.parse(event?.details ?? "null") as Record<string, unknown>;

async function newUser(username: string, opts: { password?: string; staff?: boolean } = {}) {
  const password = opts.password ?? PASSWORD;
  secrets.add(password);
  const user = await server.user(username, { password, staff: opts.staff });
  secrets.add(user.token);
  return user;
}

beforeAll(async () => {
  server = await startServer();
  staff = await newUser("auditor-boss", { staff: true });
});
afterAll(() => server.close());

describe("each kind of event, once for its action", () => {
  it("a login: LOGIN_ACCEPTED and KEY_ISSUED by the user, from the request's client", async () => {
    const alice = await newUser("alice");
    const agent = "audit-test/1.0 " + "x".repeat(1000);
    const { res, requestId } = await send(
      ObtainTokenDocument,
      { username: "alice", password: PASSWORD, name: "laptop", scopes: ["ACCOUNT"] },
      { "user-agent": agent },
    );
    expect(res.body.errors).toBeUndefined();
    const events = await eventsOf(requestId);
    const self = [alice.id, "alice"];
    expect(summary(events)).toEqual([
      { kind: "KEY_ISSUED", actor: self, subject: self },
      { kind: "LOGIN_ACCEPTED", actor: self, subject: self },
    ]);
    for (const e of events) {
      expect(e.clientAddress).toBe("127.0.0.1");
      expect(e.userAgent).toBe(agent.slice(0, 256));
    }
    const token = res.body.data!.obtainToken.token;
    expect(details(events[0])).toEqual({
      name: "laptop",
      prefix: token.slice(0, 8),
      scopes: ["ACCOUNT"],
      expiresAt: null,
    });
  });

  it("a wrong password: LOGIN_REFUSED, by nobody, about the username given", async () => {
    secrets.add("not-the-password");
    const { res, requestId } = await send(ObtainTokenDocument, { username: "alice", password: "not-the-password" });
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(summary(await eventsOf(requestId))).toEqual([
      { kind: "LOGIN_REFUSED", actor: [null, null], subject: [null, "alice"] },
    ]);
  });

  it("signing up: USER_CREATED and KEY_ISSUED, the new user their own actor", async () => {
    secrets.add("violet-Harbour-42");
    const { res, requestId } = await send(RegisterDocument, {
      input: { username: "newcomer", email: "n@example.com", password: "violet-Harbour-42" },
    });
    expect(res.body.errors).toBeUndefined();
    const self = [Number(res.body.data!.register.user.id), "newcomer"];
    const events = await eventsOf(requestId);
    expect(summary(events)).toEqual([
      { kind: "KEY_ISSUED", actor: self, subject: self },
      { kind: "USER_CREATED", actor: self, subject: self },
    ]);
    expect(details(events[1])).toEqual({ isStaff: false, signup: true });
  });

  it("staff creating a user: USER_CREATED and KEY_ISSUED by the staff member", async () => {
    secrets.add("violet-Harbour-43");
    const { res, requestId } = await send(
      CreateUserDocument,
      { input: { username: "hired", email: "", password: "violet-Harbour-43", isStaff: true } },
      auth(staff.token),
    );
    expect(res.body.errors).toBeUndefined();
    const by = [staff.id, "auditor-boss"];
    const subject = [Number(res.body.data!.createUser.user.id), "hired"];
    expect(summary(await eventsOf(requestId))).toEqual([
      { kind: "KEY_ISSUED", actor: by, subject },
      { kind: "USER_CREATED", actor: by, subject },
    ]);
  });

  it("staff issuing a key, then revoking it: KEY_ISSUED and KEY_REVOKED by the staff member, about its owner", async () => {
    const bob = await newUser("bob");
    const by = [staff.id, "auditor-boss"];
    const issued = await send(
      CreateTokenDocument,
      { userId: String(bob.id), name: "deploy", scopes: ["STUDENTS_READ"] },
      auth(staff.token),
    );
    expect(issued.res.body.errors).toBeUndefined();
    const issuedEvents = await eventsOf(issued.requestId);
    // The subject's name is the user's current one: the service knew only the id.
    expect(summary(issuedEvents)).toEqual([{ kind: "KEY_ISSUED", actor: by, subject: [bob.id, "bob"] }]);
    const key = issued.res.body.data!.createToken.token;
    expect(details(issuedEvents[0])).toEqual({
      name: "deploy",
      prefix: key.slice(0, 8),
      scopes: ["STUDENTS_READ"],
      expiresAt: null,
    });

    const row = await findRow(server.app.db, "Token", { userId: bob.id, name: "deploy" });
    const id = String(row.id);
    const revoked = await send(RevokeTokenDocument, { id }, auth(staff.token));
    expect(revoked.res.body.data).toEqual({ revokeToken: true });
    const events = await eventsOf(revoked.requestId);
    expect(summary(events)).toEqual([{ kind: "KEY_REVOKED", actor: by, subject: [bob.id, "bob"] }]);
    expect(details(events[0])).toEqual({ all: false, prefix: key.slice(0, 8) });
  });

  it("revoking all one's keys: one KEY_REVOKED with the count", async () => {
    const carl = await newUser("carl");
    const second = await send(ObtainTokenDocument, { username: "carl", password: PASSWORD });
    expect(second.res.body.errors).toBeUndefined();
    const { res, requestId } = await send(RevokeAllTokensDocument, {}, auth(carl.token));
    expect(res.body.data).toEqual({ revokeAllTokens: 2 });
    const events = await eventsOf(requestId);
    expect(summary(events)).toEqual([{ kind: "KEY_REVOKED", actor: [carl.id, "carl"], subject: [carl.id, "carl"] }]);
    expect(details(events[0])).toEqual({ all: true, count: 2 });
  });

  it("changing one's password: PASSWORD_CHANGED, the old keys revoked, a new key; a wrong old one is LOGIN_REFUSED", async () => {
    const dora = await newUser("dora");
    const self = [dora.id, "dora"];
    secrets.add("Dora-new-pass-77");
    const wrong = await send(
      ChangePasswordDocument,
      { oldPassword: "not-the-password", newPassword: "Dora-new-pass-77" },
      auth(dora.token),
    );
    expect(wrong.res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const refused = await eventsOf(wrong.requestId);
    expect(summary(refused)).toEqual([{ kind: "LOGIN_REFUSED", actor: self, subject: self }]);

    const { res, requestId } = await send(
      ChangePasswordDocument,
      { oldPassword: PASSWORD, newPassword: "Dora-new-pass-77" },
      auth(dora.token),
    );
    expect(res.body.errors).toBeUndefined();
    expect(summary(await eventsOf(requestId))).toEqual([
      { kind: "KEY_ISSUED", actor: self, subject: self },
      { kind: "KEY_REVOKED", actor: self, subject: self },
      { kind: "PASSWORD_CHANGED", actor: self, subject: self },
    ]);
  });

  it("staff changing a user: USER_UPDATED, PASSWORD_CHANGED, USER_DEACTIVATED, USER_DELETED, each by the staff member", async () => {
    const erin = await newUser("erin");
    const by = [staff.id, "auditor-boss"];
    const put = await send(
      UpdateUserDocument,
      { id: String(erin.id), input: { username: "erin2", email: "erin@example.com" } },
      auth(staff.token),
    );
    expect(put.res.body.errors).toBeUndefined();
    const updated = await eventsOf(put.requestId);
    expect(summary(updated)).toEqual([{ kind: "USER_UPDATED", actor: by, subject: [erin.id, "erin2"] }]);
    expect(details(updated[0])).toEqual({ fields: ["email", "username"] });

    secrets.add("Erin-set-by-staff-5");
    const password = await send(
      PatchUserDocument,
      { id: String(erin.id), input: { password: "Erin-set-by-staff-5", isStaff: true } },
      auth(staff.token),
    );
    expect(password.res.body.errors).toBeUndefined();
    expect(summary(await eventsOf(password.requestId))).toEqual([
      { kind: "KEY_REVOKED", actor: by, subject: [erin.id, "erin2"] },
      { kind: "PASSWORD_CHANGED", actor: by, subject: [erin.id, "erin2"] },
      { kind: "USER_UPDATED", actor: by, subject: [erin.id, "erin2"] },
    ]);

    const off = await send(PatchUserDocument, { id: String(erin.id), input: { isActive: false } }, auth(staff.token));
    expect(off.res.body.errors).toBeUndefined();
    const deactivated = await eventsOf(off.requestId);
    expect(summary(deactivated)).toEqual([{ kind: "USER_DEACTIVATED", actor: by, subject: [erin.id, "erin2"] }]);
    expect(details(deactivated[0])).toEqual({ fields: ["isActive"], isActive: false });

    const gone = await send(DeleteUserDocument, { id: String(erin.id) }, auth(staff.token));
    expect(gone.res.body.data).toEqual({ deleteUser: true });
    // The name is kept: the user row is gone.
    expect(summary(await eventsOf(gone.requestId))).toEqual([
      { kind: "USER_DELETED", actor: by, subject: [erin.id, "erin2"] },
    ]);
  });
});

describe("throttled logins", () => {
  let throttled: TestServer;
  beforeAll(async () => {
    throttled = await startServer({ LOGIN_RATE: "2/min" });
  });
  afterAll(() => throttled.close());

  it("a check refused by LOGIN_RATE is LOGIN_THROTTLED, once, and not also LOGIN_REFUSED", async () => {
    const attempt = () => throttled.run(ObtainTokenDocument, { username: "mallory", password: "guess-1" });
    expect((await attempt()).status).toBe(200);
    expect((await attempt()).status).toBe(200);
    const res = await attempt();
    expectError(res, { code: "TOO_MANY_REQUESTS" });
    await throttled.app.audit.flush();
    const kinds = await throttled.app.db.kysely
      .selectFrom("AuthEvent")
      .select(["kind", "subjectName"])
      .where("subjectName", "=", "mallory")
      .orderBy("id")
      .execute();
    expect(kinds).toEqual([
      { kind: "LOGIN_REFUSED", subjectName: "mallory" },
      { kind: "LOGIN_REFUSED", subjectName: "mallory" },
      { kind: "LOGIN_THROTTLED", subjectName: "mallory" },
    ]);
  });
});

describe("reading the trail: authEvents", () => {
  it("is refused to anonymous clients, to users who are not staff and to staff keys without ADMIN", async () => {
    const plain = await newUser("frank");
    expectError(await server.run(AuthEventsDocument, {}), NOT_AUTHENTICATED);
    expectError(await server.run(AuthEventsDocument, {}, auth(plain.token)), NOT_STAFF);
    const scoped = await server.run(ObtainTokenDocument, {
      username: "auditor-boss",
      password: PASSWORD,
      scopes: ["ACCOUNT", "STUDENTS_WRITE"],
    });
    collectKeys(scoped.body.data);
    const error = expectError(
      await server.run(AuthEventsDocument, {}, auth(scoped.body.data!.obtainToken.token)),
      NOT_STAFF,
    );
    expect(error.extensions?.requiredScopes).toEqual(["ADMIN"]);
  });

  it("filters by kind, user and time, newest first, a page at a time", async () => {
    const gina = await newUser("gina");
    await server.app.audit.flush();
    const read = (vars: {
      kind?: AuthEventKind;
      userId?: string;
      since?: string;
      until?: string;
      limit?: number;
      offset?: number;
    }) => server.run(AuthEventsDocument, vars, auth(staff.token));

    const created = await read({ userId: String(gina.id) });
    expect(created.body.data!.authEvents.results.map((e) => e.kind).sort()).toEqual(["KEY_ISSUED", "USER_CREATED"]);
    // Just after her creation's events: each login takes longer than a millisecond (the password check).
    const start = new Date(Date.parse(created.body.data!.authEvents.results[0]!.createdAt) + 1).toISOString();
    for (let i = 0; i < 3; i++) await send(ObtainTokenDocument, { username: "gina", password: PASSWORD });
    await server.app.audit.flush();

    const logins = await read({ kind: "LOGIN_ACCEPTED", userId: String(gina.id), limit: 2 });
    expect(logins.body.errors).toBeUndefined();
    expect(logins.body.data!.authEvents.count).toBe(3);
    const page = logins.body.data!.authEvents.results;
    expect(page.map((e) => [e.kind, e.subjectName])).toEqual([
      ["LOGIN_ACCEPTED", "gina"],
      ["LOGIN_ACCEPTED", "gina"],
    ]);
    expect(page[0]!.createdAt >= page[1]!.createdAt).toBe(true);
    const rest = await read({ kind: "LOGIN_ACCEPTED", userId: String(gina.id), limit: 2, offset: 2 });
    expect(rest.body.data!.authEvents.results).toHaveLength(1);
    expect(new Set([...page, ...rest.body.data!.authEvents.results].map((e) => e.id)).size).toBe(3);

    // Her user's creation (outside any request) and three logins with their keys.
    const all = await read({ userId: String(gina.id), limit: 100 });
    expect(all.body.data!.authEvents.results.map((e) => e.kind).sort()).toEqual([
      "KEY_ISSUED",
      "KEY_ISSUED",
      "KEY_ISSUED",
      "KEY_ISSUED",
      "LOGIN_ACCEPTED",
      "LOGIN_ACCEPTED",
      "LOGIN_ACCEPTED",
      "USER_CREATED",
    ]);
    const since = await read({ userId: String(gina.id), since: start, limit: 100 });
    expect(since.body.data!.authEvents.count).toBe(6);
    const until = await read({ userId: String(gina.id), until: start, limit: 100 });
    expect(until.body.data!.authEvents.count).toBe(2);

    const bad = await read({ limit: 1000 });
    expectError(bad, { code: "BAD_USER_INPUT" });
  });
});

describe("what is stored", () => {
  it("no stored value holds a password, a key or a key's digest", async () => {
    await server.app.audit.flush();
    const rows: Record<string, unknown>[] = await server.app.db.kysely.selectFrom("AuthEvent").selectAll().execute();
    expect(rows.length).toBeGreaterThan(30);
    const forbidden = [...secrets].flatMap((s) => [s, createHash("sha256").update(s).digest("hex")]);
    expect(secrets.size).toBeGreaterThan(15);
    const found = rows.flatMap((row) =>
      Object.values(row).flatMap((value) => {
        const text = String(value);
        return forbidden.filter((secret) => text.includes(secret)).map((secret) => ({ text, secret }));
      }),
    );
    expect(found).toEqual([]);
  });
});

describe("a write that fails", () => {
  it("is logged, once, and the request that caused it still succeeds", async () => {
    const lines: string[] = [];
    const broken = await startServer({}, { logDestination: { write: (s: string) => void lines.push(s) } });
    try {
      await broken.user("henry");
      await broken.app.audit.flush();
      await execute(broken.app.db, `DROP TABLE "AuthEvent"`);
      const res = await broken.run(ObtainTokenDocument, { username: "henry", password: PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.obtainToken.token).toMatch(/^[0-9a-f]{40}$/);
      await broken.app.audit.flush();
      const failures = lines
        .map((l) => JSON.parse(l) as { level: number; msg: string; lost?: number })
        .filter((l) => l.msg.startsWith("audit:"));
      expect(failures).toEqual([
        expect.objectContaining({ level: 50, lost: 2, msg: expect.stringMatching(/^audit: 2 events not written: /) }),
      ]);
      expect(failures[0]!.msg).not.toContain(res.body.data!.obtainToken.token);
    } finally {
      await broken.close();
    }
  });
});
