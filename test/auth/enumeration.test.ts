import { ObtainTokenDocument, type ObtainTokenMutation } from "../generated/graphql";
import { PASSWORD, startServer, type GraphQLResponse, type TestServer } from "../support/server";

// An unknown username and a wrong password must look the same from outside:
// same status, body and, within a generous ratio, the same time (unknown
// users verify a dummy argon2 hash).

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ LOGIN_RATE: "10000/min" });
  await server.user("known");
});
afterAll(() => server.close());

async function timed(username: string): Promise<{ ms: number; res: GraphQLResponse<ObtainTokenMutation> }> {
  const start = process.hrtime.bigint();
  const res = await server.run(ObtainTokenDocument, { username, password: `not ${PASSWORD}` });
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, res };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2;
};

it("answers an unknown username exactly as a wrong password", async () => {
  const unknown = await timed("nobody-at-all");
  const wrong = await timed("known");
  expect(unknown.res.status).toBe(wrong.res.status);
  expect(unknown.res.body).toEqual(wrong.res.body);
  expect(wrong.res.body.errors![0]!.message).toBe("Unable to log in with provided credentials.");
  expect(wrong.res.body.errors![0]!.extensions?.code).toBe("BAD_USER_INPUT");
});

it("takes about as long for an unknown username as for a wrong password (median ratio within 0.5..2)", async () => {
  await timed("warm-up"); // the dummy hash is computed once, on first use
  const unknown: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < 10; i++) {
    // Interleaved, so load from other processes falls on both alike.
    unknown.push((await timed(`ghost${i}`)).ms);
    wrong.push((await timed("known")).ms);
  }
  const ratio = median(unknown) / median(wrong);
  expect(ratio).toBeGreaterThan(0.5);
  expect(ratio).toBeLessThan(2);
});
