import { countRows } from "../support/rows";
import { testDatabase } from "../support/databases";
import { auth, PASSWORD, startServer, type TestServer } from "../support/server";
import { CHANGE_PASSWORD, OBTAIN, burst, logins, post, registrations, tally } from "./burst";

// LOGIN_RATE and REGISTER_RATE against bursts of 50 requests released
// together, on one server process and the run's database (SQLite or
// PostgreSQL: TEST_DATABASE). Every request comes from 127.0.0.1, so the
// per-username and the per-address counters are both in play; each test has
// a server and a database of its own, so fresh counters.
//
// What each test allows, exactly:
// - 50 wrong passwords, LOGIN_RATE=5/min: exactly 5 checked (BAD_USER_INPUT),
//   45 refused with 429 and a Retry-After of 1 to 60 s; the right password
//   afterwards: 429, no key.
// - 49 wrong + 1 right: at most 5 wrong passwords checked, at most 1 key, and
//   5 or 6 checks in all (a right password gives its point back when it
//   succeeds, so one more wrong one may be checked after it: never more than
//   5 at once, never more than 5 wrong ones in the window).
// - 50 usernames from one address: exactly 5 checked, 45 refused.
// - 50 changePassword with a wrong old password: exactly 5 checked, 45
//   refused, and the right old password afterwards: 429, password unchanged.
// - 50 sign-ups, REGISTER_RATE at its default 20/hour: exactly 20 accounts,
//   30 refused with a Retry-After of 1 to 3600 s, and 20 users in the database.

const RATE = 5;
const BURST = 50;
jest.setTimeout(120_000);

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe(`LOGIN_RATE=${RATE}/min, ${BURST} parallel requests, one process (${testDatabase()})`, () => {
  beforeEach(async () => {
    server = await startServer({ LOGIN_RATE: `${RATE}/min` });
  });

  it("checks exactly 5 of 50 wrong passwords, then refuses the right one", async () => {
    await server!.user("target");
    const answers = await burst(server!.url, logins("target", BURST));
    expect(tally(answers, "obtainToken", 60)).toEqual({ ok: 0, refused: RATE, throttled: BURST - RATE, other: [] });
    const right = await post(server!.url, { query: OBTAIN, variables: { username: "target", password: PASSWORD } });
    expect(tally([right], "obtainToken", 60)).toEqual({ ok: 0, refused: 0, throttled: 1, other: [] });
  });

  it("mixing the right password into the burst: at most 5 wrong ones checked, at most one key", async () => {
    await server!.user("target");
    const answers = await burst(server!.url, logins("target", BURST, { password: PASSWORD, at: 25 }));
    const t = tally(answers, "obtainToken", 60);
    expect(t.other).toEqual([]);
    expect(t.refused).toBeLessThanOrEqual(RATE);
    expect(t.ok).toBeLessThanOrEqual(1);
    expect(t.refused + t.ok).toBeGreaterThanOrEqual(RATE);
    expect(t.refused + t.ok).toBeLessThanOrEqual(RATE + 1);
    // The one key, if any, went to the right password; a 429 for it means it was never checked.
    expect(answers[25]!.status === 200 ? 1 : 0).toBe(t.ok);
    if (t.ok === 0) expect(t.refused).toBe(RATE);
  });

  it("checks exactly 5 of 50 logins from one address, whatever the usernames", async () => {
    const requests = Array.from({ length: BURST }, (_, i) => ({
      query: OBTAIN,
      variables: { username: `nobody${i}`, password: "x" },
    }));
    expect(tally(await burst(server!.url, requests), "obtainToken", 60)).toEqual({
      ok: 0,
      refused: RATE,
      throttled: BURST - RATE,
      other: [],
    });
  });

  it("counts a wrong old password in changePassword: exactly 5 of 50 checked", async () => {
    const { token } = await server!.user("holder");
    const wrong = Array.from({ length: BURST }, (_, i) => ({
      query: CHANGE_PASSWORD,
      variables: { old: `guess number ${i}`, new: "a brand new passphrase 9" },
      headers: auth(token),
    }));
    const answers = await burst(server!.url, wrong);
    expect(tally(answers, "changePassword", 60)).toEqual({ ok: 0, refused: RATE, throttled: BURST - RATE, other: [] });
    for (const a of answers.filter((a) => a.status === 200)) {
      expect(a.body.errors![0]!.extensions!.fields).toEqual({
        oldPassword: ["Your old password was entered incorrectly. Please enter it again."],
      });
    }
    const right = await post(server!.url, {
      query: CHANGE_PASSWORD,
      variables: { old: PASSWORD, new: "a brand new passphrase 9" },
      headers: auth(token),
    });
    expect(tally([right], "changePassword", 60)).toEqual({ ok: 0, refused: 0, throttled: 1, other: [] });
    // Nothing changed: the key still works.
    expect((await server!.gql("{ me { username } }", undefined, auth(token))).body.data).toEqual({
      me: { username: "holder" },
    });
  });

  it("gives a right old password its point back: 10 password changes in a row pass", async () => {
    const { token } = await server!.user("mover");
    let [old, key] = [PASSWORD, token];
    for (let i = 0; i < 2 * RATE; i++) {
      const next = `another fine passphrase ${i}`;
      const res = await post(server!.url, {
        query: CHANGE_PASSWORD,
        variables: { old, new: next },
        headers: auth(key),
      });
      expect(tally([res], "changePassword", 60)).toEqual({ ok: 1, refused: 0, throttled: 0, other: [] });
      [old, key] = [next, res.body.data!.changePassword.token];
    }
  });
});

describe(`REGISTER_RATE (default 20/hour), ${BURST} parallel sign-ups, one process (${testDatabase()})`, () => {
  it("creates exactly 20 accounts and refuses 30 with 429", async () => {
    server = await startServer();
    const answers = await burst(server.url, registrations("signup", BURST));
    expect(tally(answers, "register", 3600)).toEqual({ ok: 20, refused: 0, throttled: BURST - 20, other: [] });
    expect(await countRows(server.app.db, "User")).toBe(20);
  });

  it("follows REGISTER_RATE, and counts refused sign-ups too", async () => {
    server = await startServer({ REGISTER_RATE: "3/min" });
    const bad = {
      query: registrations("x", 1)[0]!.query,
      variables: { input: { username: "", email: "", password: "" } },
    };
    expect(tally(await burst(server.url, [bad, bad]), "register", 60)).toMatchObject({ refused: 2 });
    const answers = await burst(server.url, registrations("late", 10));
    expect(tally(answers, "register", 60)).toEqual({ ok: 1, refused: 0, throttled: 9, other: [] });
  });
});
