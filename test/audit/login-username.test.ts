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

const REGISTER = "mutation($u: String!) { register(input: { username: $u, email: \"\", password: \"fjord lantern 77\" }) { user { username } } }";
const OBTAIN = "mutation($u: String!, $p: String!) { obtainToken(username: $u, password: $p) { user { username } } }";
// Distinct client addresses, so only the per-username counter is in play.
const from = (n: number) => ({ "x-forwarded-for": `10.0.0.${n}` });

it("logs in with the very username typed at sign-up: surrounding spaces", async () => {
  const reg = await server.gql(REGISTER, { u: "  carl " });
  expect(reg.body.data).toEqual({ register: { user: { username: "carl" } } });
  for (const u of ["  carl ", "carl", "\tcarl\n"]) {
    const res = await server.gql(OBTAIN, { u, p: "fjord lantern 77" });
    expect(res.body).toEqual({ data: { obtainToken: { user: { username: "carl" } } } });
  }
});

it("logs in with the very username typed at sign-up: another Unicode form (NFD, full-width)", async () => {
  const nfd = "Zoe\u0308";
  const reg = await server.gql(REGISTER, { u: nfd });
  expect(reg.body.data).toEqual({ register: { user: { username: "Zo\u00eb" } } });
  for (const u of [nfd, "Zo\u00eb", "\uff3a\uff4f\u00eb"]) {
    const res = await server.gql(OBTAIN, { u, p: "fjord lantern 77" });
    expect(res.body.data).toEqual({ obtainToken: { user: { username: "Zo\u00eb" } } });
  }
});

it("still refuses a wrong password for a normalised name, and case still matters (as in Django)", async () => {
  await server.user("dora");
  expectError(await server.gql(OBTAIN, { u: " dora", p: "wrong password" }, from(1)), {
    code: "BAD_USER_INPUT",
    message: "Unable to log in with provided credentials.",
  });
  expectError(await server.gql(OBTAIN, { u: "DORA", p: PASSWORD }, from(2)), { code: "BAD_USER_INPUT" });
});

it("counts failed logins of every spelling of a username together", async () => {
  await server.user("eve");
  for (const [i, u] of ["eve", " eve", "eve\t"].entries()) {
    expectError(await server.gql(OBTAIN, { u, p: "wrong password" }, from(10 + i)), { code: "BAD_USER_INPUT" });
  }
  // The fourth try, right password, yet another spelling and address: the username's counter is spent.
  const res = await server.gql(OBTAIN, { u: "\u00a0eve ", p: PASSWORD }, from(20));
  expectError(res, { code: "TOO_MANY_REQUESTS" });
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
});
