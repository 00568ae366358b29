import { ObtainTokenDocument, RegisterDocument } from "../generated/graphql";
import { expectError } from "../support/expect";
import { PASSWORD, startServer, type TestServer } from "../support/server";

// obtainToken reads the username as register stored it (DRF trims it, Django
// normalises it with NFKC), and the per-username throttle counts every
// spelling that reaches the same account together.

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ LOGIN_RATE: "3/min", TRUST_PROXY: "1" });
});
afterAll(() => server.close());

const register = (username: string) =>
  server.run(RegisterDocument, { input: { username, email: "", password: "fjord lantern 77" } });
const obtain = (username: string, password: string, headers?: Record<string, string>) =>
  server.run(ObtainTokenDocument, { username, password }, headers);
// Distinct client addresses, so only the per-username counter is in play.
const from = (n: number) => ({ "x-forwarded-for": `10.0.0.${n}` });

it("logs in with the very username typed at sign-up: surrounding spaces", async () => {
  const reg = await register("  carl ");
  expect(reg.body.errors).toBeUndefined();
  expect(reg.body.data?.register.user.username).toBe("carl");
  for (const u of ["  carl ", "carl", "\tcarl\n"]) {
    const res = await obtain(u, "fjord lantern 77");
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.obtainToken.user.username).toBe("carl");
  }
});

it("logs in with the very username typed at sign-up: another Unicode form (NFD, full-width)", async () => {
  const nfd = "Zoe\u0308";
  const reg = await register(nfd);
  expect(reg.body.errors).toBeUndefined();
  expect(reg.body.data?.register.user.username).toBe("Zo\u00eb");
  for (const u of [nfd, "Zo\u00eb", "\uff3a\uff4f\u00eb"]) {
    const res = await obtain(u, "fjord lantern 77");
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.obtainToken.user.username).toBe("Zo\u00eb");
  }
});

it("still refuses a wrong password for a normalised name, and case still matters (as in Django)", async () => {
  await server.user("dora");
  expectError(await obtain(" dora", "wrong password", from(1)), {
    code: "BAD_USER_INPUT",
    message: "Unable to log in with provided credentials.",
  });
  expectError(await obtain("DORA", PASSWORD, from(2)), { code: "BAD_USER_INPUT" });
});

it("counts failed logins of every spelling of a username together", async () => {
  await server.user("eve");
  for (const [i, u] of ["eve", " eve", "eve\t"].entries()) {
    expectError(await obtain(u, "wrong password", from(10 + i)), { code: "BAD_USER_INPUT" });
  }
  // The fourth try, right password, yet another spelling and address: the username's counter is spent.
  const res = await obtain("\u00a0eve ", PASSWORD, from(20));
  expectError(res, { code: "TOO_MANY_REQUESTS" });
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
});
