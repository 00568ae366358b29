import { findRow, updateRows, deleteRows } from "../support/rows";
import { ViewerDocument } from "../generated/graphql";
import { auth, startServer, type TestServer } from "../support/server";

// The key check that runs on every request (one joined lookup of the token
// and its user): what it lets through, what it refuses, what it writes.

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

async function expect401(key: string, message: string) {
  const res = await server.run(ViewerDocument, {}, auth(key));
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toBe("Token");
  expect(res.body.errors?.[0]?.message).toBe(message);
  expect(res.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
}

describe("key lookup", () => {
  it("gives the key's user with every field typed as the schema says", async () => {
    const { id, token } = await server.user("nirmala", { staff: true });
    const res = await server.run(ViewerDocument, {}, auth(token));
    expect(res.status).toBe(200);
    const me = res.body.data?.me;
    expect(me).toMatchObject({
      id: String(id),
      username: "nirmala",
      email: "nirmala@example.com",
      isStaff: true,
      isActive: true,
      lastLogin: null,
    });
    expect(me?.dateJoined).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("refuses an unknown key, a revoked key, an expired key and an inactive user with DRF's messages", async () => {
    await expect401("0".repeat(40), "Invalid token.");

    const revoked = await server.user("revoked");
    await deleteRows(server.app.db, "Token", { userId: revoked.id });
    await expect401(revoked.token, "Invalid token.");

    const expired = await server.user("expired");
    await updateRows(server.app.db, "Token", { userId: expired.id }, { expiresAt: new Date(Date.now() - 1000) });
    await expect401(expired.token, "Token has expired.");

    const inactive = await server.user("inactive");
    await updateRows(server.app.db, "User", { id: inactive.id }, { isActive: false });
    await expect401(inactive.token, "User inactive or deleted.");
  });

  it("accepts a key whose expiry is still ahead", async () => {
    const later = await server.user("later");
    await updateRows(server.app.db, "Token", { userId: later.id }, { expiresAt: new Date(Date.now() + 60_000) });
    const res = await server.run(ViewerDocument, {}, auth(later.token));
    expect(res.body.data?.me?.username).toBe("later");
  });

  it("costs one statement per request once lastUsedAt is fresh, and writes lastUsedAt at most once a minute", async () => {
    const { id, token } = await server.user("counted");
    const lastUsed = async () => (await findRow(server.app.db, "Token", { userId: id })).lastUsedAt;
    expect(await lastUsed()).toBeNull();

    // The write does not hold up the answer; it is under way once the answer
    // has gone, and settle() waits for every write under way.
    await server.run(ViewerDocument, {}, auth(token));
    // The write does not hold up the answer: it goes out with others, later.
    await server.app.services.tokens.settle();
    const first = await lastUsed();
    expect(first).toBeInstanceOf(Date);

    const before = server.app.db.statements.count;
    for (let i = 0; i < 5; i++) await server.run(ViewerDocument, {}, auth(token));
    await server.app.services.tokens.settle(); // a sixth statement, had any request written lastUsedAt
    expect(server.app.db.statements.count - before).toBe(5);
    expect(await lastUsed()).toEqual(first);
  });
});
