import { countRows, findRow } from "../support/rows";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page, type Request } from "playwright-core";
import { startServer, type TestServer } from "../support/server";
import { ARTIFACTS, CHROMIUM, eventually as settle, itChromium } from "../support/browser";

const eventually = (check: () => Promise<void>, timeoutMs = 15_000) => settle(check, timeoutMs);

// The admin in Debian's Chromium, driven as a staff member would: sign in,
// create a user, issue a key and try it, revoke it, fix and delete a student,
// sign out; and a non-staff user turned away. Every console error, CSP
// violation and request off this server is a failure.

// Screenshots land in test-artifacts/ (ignored); docs/admin-users.png,
// docs/admin-key.png, docs/admin-scoped-key.png (admin-scoped-key-form-desktop.png)
// and docs/admin-activity.png are copies of four of them, committed by hand for the README.
const PASSWORD = "P@ssrord123";
const ME = "query { me { username } }";

/** A page whose console errors, CSP violations and foreign requests land in `problems`. */
/** The operation's name in a GraphQL request body, "?" when it has none. */
const operationOf = (body: string) => /(?:query|mutation) (\w+)/.exec(body)?.[1] ?? "?";

async function watchedPage(browser: Browser, origin: string, viewport: { width: number; height: number }) {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  const graphql: { status: number; operation: string; error?: string; at: number }[] = [];
  const started = Date.now();
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("crash", () => problems.push("the page crashed"));
  // GraphQL requests sent and not answered yet, with when they were sent.
  const pending = new Map<Request, number>();
  // Not a failure by itself (a navigation aborts the requests in flight), but
  // part of what a failed step reports.
  const failedRequests: string[] = [];
  page.on("requestfailed", (request) => {
    pending.delete(request);
    failedRequests.push(`  +${Date.now() - started} ms ${request.url()}: ${request.failure()?.errorText}`);
  });
  page.on("requestfinished", (request) => pending.delete(request));
  page.on("request", (request) => {
    if (request.url().endsWith("/graphql")) pending.set(request, Date.now() - started);
    const url = new URL(request.url());
    if (url.protocol !== "data:" && url.origin !== origin) problems.push(`request off the server: ${request.url()}`);
  });
  page.on("response", async (response) => {
    if (!response.url().endsWith("/graphql")) return;
    const body = response.request().postData() ?? "";
    const operation = operationOf(body);
    const entry: (typeof graphql)[number] = { status: response.status(), operation, at: Date.now() - started };
    graphql.push(entry);
    const answer = (await response.json().catch(() => null)) as { errors?: { message?: string }[] } | null;
    if (answer?.errors?.[0]) entry.error = answer.errors[0].message ?? "?";
  });
  await page.addInitScript({
    content: `document.addEventListener("securitypolicyviolation", (e) =>
      console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI));`,
  });
  /**
   * Runs a test's steps; when one fails, its error also carries what the page
   * had asked the API and been answered until then, and a screenshot is kept,
   * so a failure on CI can be told from a slow machine.
   */
  const explained = async (steps: () => Promise<void>) => {
    try {
      await steps();
    } catch (e) {
      const shot = join(ARTIFACTS, `failure-${Date.now()}.png`);
      await page.screenshot({ path: shot }).catch(() => undefined);
      const trail = graphql.map((r) => `  +${r.at} ms ${r.operation} ${r.status}${r.error ? `: ${r.error}` : ""}`);
      const context = [`at ${page.url()} (screenshot ${shot})`, "the page's GraphQL requests:", ...trail];
      if (problems.length) context.push("problems:", ...problems.map((p) => `  ${p}`));
      if (failedRequests.length) context.push("requests that failed:", ...failedRequests);
      for (const [request, at] of pending) {
        context.push(`  +${at} ms ${operationOf(request.postData() ?? "")}: sent, no answer yet`);
      }
      if (e instanceof Error) {
        // Jest prints the stack, which holds the message as it was when thrown.
        const note = `\n\n${context.join("\n")}`;
        e.stack = e.stack?.replace(e.message, `${e.message}${note}`);
        e.message += note;
      }
      throw e;
    }
  };
  return { page, problems, graphql, explained };
}

async function signIn(page: Page, url: string, username: string, password: string) {
  await page.goto(`${url}/admin`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

describe("the admin in a browser", () => {
  let server: TestServer;
  let browser: Browser | undefined;
  let origin: string;

  beforeAll(async () => {
    server = await startServer();
    origin = new URL(server.url).origin;
    await server.user("boss", { password: PASSWORD, staff: true });
    await server.user("amit", { password: PASSWORD });
    for (const [name, roll, city] of [
      ["Ada Lovelace", 1, "London"],
      ["Srinivasa Ramanujan", 2, "Erode"],
      ["Emmy Noether", 3, "Erlangen"],
    ] as const) {
      await server.app.services.students.create({ name, roll, city });
    }
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server.close();
  });

  const launch = async () =>
    (browser ??= await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }));

  /** The API as a client would call it, with a key. */
  const api = (key: string, query: string, variables: Record<string, unknown> = {}) =>
    fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Token ${key}` },
      body: JSON.stringify({ query, variables }),
    });

  itChromium(
    "staff: users, a key issued, tried and revoked, a student edited and deleted, sign out",
    async () => {
      const { page, problems, graphql, explained } = await watchedPage(await launch(), origin, {
        width: 1280,
        height: 800,
      });
      await explained(async () => {
        const response = await page.goto(`${server.url}/admin`);
        expect(response?.status()).toBe(200);
        expect(response?.headers()["content-security-policy"]).toMatch(/script-src 'self';.*style-src 'self' 'nonce-/);
        await page.getByRole("button", { name: "Sign in" }).waitFor();
        await page.screenshot({ path: join(ARTIFACTS, "admin-login.png") });

        await signIn(page, server.url, "boss", PASSWORD);
        await page.getByRole("cell", { name: "amit", exact: true }).waitFor();
        const adminKey = await page.evaluate<string | null>(`sessionStorage.getItem("drf-token-graphql.admin.key")`);
        expect(adminKey).toMatch(/^[0-9a-f]{40}$/);
        expect(await page.evaluate<number>(`localStorage.length`)).toBe(0);

        // Filters: staff only leaves boss.
        await page.goto(`${server.url}/admin#/users?filter=${encodeURIComponent(JSON.stringify({ isStaff: true }))}`);
        await eventually(async () =>
          expect(await page.getByRole("cell", { name: "amit", exact: true }).count()).toBe(0),
        );
        await page.getByRole("cell", { name: "boss", exact: true }).waitFor();
        await page.goto(`${server.url}/admin#/users?filter=%7B%7D`);
        await page.getByRole("cell", { name: "amit", exact: true }).waitFor();
        await page.screenshot({ path: join(ARTIFACTS, "admin-users.png") });

        // Create a user: the password rules' messages land on the password field.
        await page.goto(`${server.url}/admin#/users/create`);
        await page.getByLabel("Username *").fill("carol");
        await page.getByLabel("Email").fill("carol@example.com");
        await page.getByLabel("Password *").fill("short");
        await page.getByRole("button", { name: "Save" }).click();
        await page.getByText("This password is too short. It must contain at least 8 characters.").waitFor();
        await page.getByLabel("Password *").fill(PASSWORD);
        await page.getByRole("button", { name: "Save" }).click();
        await page.getByRole("heading", { name: "Keys" }).waitFor();
        const carol = await server.app.services.users.findByUsername("carol");
        expect(carol?.email).toBe("carol@example.com");

        // Issue a key: shown once, with the header and an httpie line.
        await page.getByRole("button", { name: "Issue a key" }).click();
        await page.getByRole("dialog").getByLabel("Name").fill("ci");
        await page.getByRole("dialog").getByRole("button", { name: "Issue" }).click();
        const keyText = page.getByTestId("issued-key");
        await keyText.waitFor();
        const key = (await keyText.innerText()).trim();
        expect(key).toMatch(/^[0-9a-f]{40}$/);
        expect((await page.getByTestId("issued-header").innerText()).trim()).toBe(`Authorization: Token ${key}`);
        expect(await page.getByTestId("issued-httpie").innerText()).toContain(`'Authorization: Token ${key}'`);
        await page.screenshot({ path: join(ARTIFACTS, "admin-key.png") });

        // The key works.
        const works = await api(key, ME);
        expect(works.status).toBe(200);
        expect(await works.json()).toEqual({ data: { me: { username: "carol" } } });

        // Revoke it from the page: the API then answers 401.
        await page.getByRole("button", { name: "Done" }).click();
        // In the key list (the user's recent activity below it names the key's prefix too).
        const row = page
          .locator('[aria-labelledby="keys-title"]')
          .getByRole("row")
          .filter({ hasText: key.slice(0, 8) });
        await row.waitFor();
        await row.getByRole("button", { name: "Revoke" }).click();
        await page.getByRole("dialog").getByRole("button", { name: "Confirm" }).click();
        await eventually(async () => expect(await row.count()).toBe(0));
        const refused = await api(key, ME);
        expect(refused.status).toBe(401);
        expect(((await refused.json()) as { errors: { message: string }[] }).errors[0]?.message).toBe("Invalid token.");

        // All keys, with their owners.
        await page.goto(`${server.url}/admin#/tokens`);
        await page.getByRole("cell", { name: "carol", exact: true }).waitFor();
        await page.screenshot({ path: join(ARTIFACTS, "admin-keys.png") });

        // Activity: carol's page lists her recent events; "All activity" opens
        // the trail filtered to her, which can be narrowed to one kind.
        await server.app.audit.flush();
        await page.goto(`${server.url}/admin#/users/${carol!.id}`);
        const recent = page.getByRole("region", { name: "Recent activity" });
        for (const kind of ["User created", "Key issued", "Key revoked"])
          await recent.getByText(kind).first().waitFor();
        await page.getByRole("link", { name: "All activity" }).click();
        await page.waitForURL(/#\/authEvents\?/);
        // The user's page (whose recent events have the same columns) is gone first.
        await recent.waitFor({ state: "detached" });
        // Filtered to her: the User filter names her, and every event is about her.
        await eventually(async () => expect(await page.getByLabel("User").inputValue()).toBe("carol"));
        const events = page.getByRole("row").filter({ has: page.getByTestId("event-kind") });
        await events.first().waitFor();
        for (const text of await events.allInnerTexts()) expect(text).toContain(`carol (#${carol!.id})`);
        // The key was issued and revoked by the staff member signed in.
        await events
          .filter({ hasText: "Key revoked" })
          .getByRole("cell", { name: /^boss \(#\d+\)$/ })
          .first()
          .waitFor();
        await page.screenshot({ path: join(ARTIFACTS, "admin-activity.png") });
        await page.getByLabel("Kind").click();
        await page.getByRole("option", { name: "Key issued" }).click();
        await eventually(async () => {
          const kinds = await page.getByTestId("event-kind").allInnerTexts();
          expect(kinds.length).toBeGreaterThan(0);
          expect(new Set(kinds)).toEqual(new Set(["Key issued"]));
        });

        // Students: edit one, a duplicate roll shown on the roll field, delete one.
        await page.goto(`${server.url}/admin#/students`);
        await page.getByRole("cell", { name: "Ada Lovelace" }).click();
        await page.getByLabel("Name *").fill("Ada King");
        await page.getByRole("button", { name: "Save" }).click();
        await page.getByRole("cell", { name: "Ada King" }).waitFor();
        await page.screenshot({ path: join(ARTIFACTS, "admin-students.png") });
        const ada = (await server.app.services.students.list({ search: "Ada" })).results[0]!;
        expect(ada).toMatchObject({ name: "Ada King", roll: 1, city: "London" });

        // From the keyboard: the row's Edit link, then Enter.
        await page.getByRole("row").filter({ hasText: "Emmy Noether" }).getByRole("link", { name: "Edit" }).focus();
        await page.keyboard.press("Enter");
        await page.getByLabel("Roll *").fill("2");
        await page.getByRole("button", { name: "Save" }).click();
        await page.getByText("student with this roll already exists.").waitFor();
        await page.getByRole("button", { name: "Delete" }).click();
        await page.getByRole("dialog").getByRole("button", { name: "Confirm" }).click();
        await eventually(async () => expect((await server.app.services.students.list({})).count).toBe(2));
        // Gone from the list the page goes back to (the row leaves the
        // database before the page has the answer, so wait for the list).
        await page.waitForURL(/#\/students(\?|$)/);
        await page.getByRole("cell", { name: "Ada King" }).waitFor();
        await eventually(async () => expect(await page.getByRole("cell", { name: "Emmy Noether" }).count()).toBe(0));

        // Phone size.
        await page.setViewportSize({ width: 390, height: 844 });
        await page.goto(`${server.url}/admin#/users?filter=%7B%7D`);
        await page.getByText("carol@example.com").waitFor();
        await page.screenshot({ path: join(ARTIFACTS, "admin-users-phone.png") });
        await page.setViewportSize({ width: 1280, height: 800 });

        // Sign out: the admin's own key is dead.
        expect((await api(adminKey!, ME)).status).toBe(200);
        await page.getByRole("button", { name: "Profile" }).click();
        await page.getByRole("menuitem", { name: "Logout" }).click();
        await page.getByRole("button", { name: "Sign in" }).waitFor();
        await eventually(async () => expect((await api(adminKey!, ME)).status).toBe(401));
        expect(await page.evaluate<string | null>(`sessionStorage.getItem("drf-token-graphql.admin.key")`)).toBeNull();

        expect(await page.evaluate<number>(`document.querySelectorAll("style:not([nonce])").length`)).toBe(0);
        expect(graphql.filter((r) => r.status !== 200)).toEqual([]);
        expect(problems).toEqual([]);
      });
    },
    120_000,
  );

  // Scoped keys, issued and revoked one by one, as a new staff member would
  // on a phone and at a desk: every key action within reach at either size.
  itChromium.each([
    ["phone", { width: 390, height: 844 }],
    ["desktop", { width: 1280, height: 800 }],
  ] as const)(
    "%s: a key limited to reading students, issued for 7 days, then revoked alone",
    async (size, viewport) => {
      const { page, problems, graphql, explained } = await watchedPage(await launch(), origin, viewport);
      await explained(async () => {
        const username = `reader-${size}`;
        const reader = await server.user(username, { password: PASSWORD });
        // Enough keys that the list runs past the bottom of a phone's screen.
        for (let i = 0; i < 6; i++) await server.app.services.tokens.issue(reader.id, `old ${i}`);

        await signIn(page, server.url, "boss", PASSWORD);
        await page.getByText("amit", { exact: true }).first().waitFor();
        await page.goto(`${server.url}/admin#/users/${reader.id}`);
        await page.getByRole("heading", { name: "Keys" }).waitFor();
        // The user page labels the join date and shows the last login.
        await page.getByText("Joined", { exact: true }).waitFor();
        await page.getByText("Last login", { exact: true }).waitFor();

        // Issue: only "Read students", for 7 days, named.
        await page.getByRole("button", { name: "Issue a key" }).click();
        const dialog = page.getByRole("dialog");
        await dialog.getByLabel("Name").fill(`dashboard ${size}`);
        // Admin is not for this user: not staff.
        await dialog.getByRole("radio", { name: "Only what is checked below" }).check();
        expect(await dialog.getByRole("checkbox", { name: /^Admin/ }).isDisabled()).toBe(true);
        // No scope checked: the API's own message lands on the scopes.
        await dialog.getByRole("button", { name: "Issue" }).click();
        await dialog.getByText("Choose at least one scope, or leave scopes out").waitFor();
        await dialog.getByRole("checkbox", { name: /^Read students/ }).check();
        expect(await dialog.getByText("Choose at least one scope").count()).toBe(0);
        await dialog.getByLabel("Lifetime").selectOption("7d");
        await page.screenshot({ path: join(ARTIFACTS, `admin-scoped-key-form-${size}.png`) });
        const before = Date.now();
        await dialog.getByRole("button", { name: "Issue" }).click();
        const keyText = page.getByTestId("issued-key");
        await keyText.waitFor();
        await page.getByRole("dialog", { name: `Key issued for ${username}` }).waitFor();
        const key = (await keyText.innerText()).trim();
        expect(key).toMatch(/^[0-9a-f]{40}$/);
        expect((await page.getByTestId("issued-terms").textContent())?.replace(/\s+/g, " ")).toMatch(
          /May do: STUDENTS_READ\. Expires: .+\./,
        );
        // The httpie line tries something the key may do.
        expect(await page.getByTestId("issued-httpie").innerText()).toContain("query='{ students { count } }'");
        await page.screenshot({ path: join(ARTIFACTS, `admin-scoped-key-${size}.png`) });

        // What the key may do, through the API.
        const row = await findRow(server.app.db, "Token", { prefix: key.slice(0, 8) });
        expect(row).toMatchObject({ name: `dashboard ${size}`, scopes: "STUDENTS_READ" });
        expect(row.expiresAt!.getTime() - before).toBeGreaterThan(7 * 86400_000 - 60_000);
        expect((await api(key, "{ students { count } }")).status).toBe(200);
        const write = await api(key, 'mutation { createStudent(input: {name: "X", roll: 99, city: "Y"}) { id } }');
        expect(write.status).toBe(403);
        expect(((await write.json()) as { errors: { extensions: unknown }[] }).errors[0]?.extensions).toEqual({
          code: "FORBIDDEN",
          requiredScopes: ["STUDENTS_WRITE"],
        });

        // The list shows it with its scope; its own Revoke button revokes it alone.
        await page.getByRole("button", { name: "Done" }).click();
        // Its backdrop covers the page while it fades out.
        await page.getByRole("dialog").waitFor({ state: "detached" });
        const keys = page.locator('[aria-labelledby="keys-title"]');
        const rows = size === "phone" ? keys.getByTestId("key-row") : keys.getByRole("row");
        const mine = rows.filter({ hasText: key.slice(0, 8) });
        await mine.getByText("STUDENTS_READ").waitFor();
        await page.screenshot({ path: join(ARTIFACTS, `admin-scoped-keys-${size}.png`), fullPage: true });
        // Scrolled to the end of the key list, that end and its last Revoke button are uncovered:
        // what is drawn at their points is themselves (no sticky toolbar, no notice). Asked
        // again until the page has settled (a loaded machine renders late); a cover stays.
        await eventually(async () => {
          await page.evaluate(
            `document.querySelector('[aria-labelledby="keys-title"]').scrollIntoView({ block: "end" })`,
          );
          const reachable = await page.evaluate<{ section: boolean; lastRevoke: boolean }>(`(() => {
          const on = (el, x, y) => y < window.innerHeight && el.contains(document.elementFromPoint(x, y));
          const section = document.querySelector('[aria-labelledby="keys-title"]').getBoundingClientRect();
          const revoke = [...document.querySelectorAll('[aria-labelledby="keys-title"] button')]
            .filter((b) => (b.getAttribute("aria-label") ?? b.textContent.trim()) === "Revoke").at(-1);
          const r = revoke.getBoundingClientRect();
          return {
            section: on(document.querySelector('[aria-labelledby="keys-title"]'), section.left + 4, section.bottom - 4),
            lastRevoke: on(revoke, r.left + r.width / 2, r.top + r.height / 2),
          };
        })()`);
          expect(reachable).toEqual({ section: true, lastRevoke: true });
        });
        await mine.getByRole("button", { name: "Revoke" }).click();
        await page.getByRole("dialog").getByRole("button", { name: "Confirm" }).click();
        await page.getByText("Key revoked", { exact: true }).waitFor();
        await eventually(async () => expect(await rows.filter({ hasText: key.slice(0, 8) }).count()).toBe(0));
        expect((await api(key, "{ students { count } }")).status).toBe(401);
        // Only that one: the user's other keys stand.
        expect(await countRows(server.app.db, "Token", { userId: reader.id })).toBe(7);

        expect(graphql.filter((r) => r.status !== 200)).toEqual([]);
        expect(problems).toEqual([]);
      });
    },
    120_000,
  );

  itChromium(
    "a non-staff user is told there is no access, and nothing else loads",
    async () => {
      const { page, problems, graphql, explained } = await watchedPage(await launch(), origin, {
        width: 1280,
        height: 800,
      });
      await explained(async () => {
        await signIn(page, server.url, "amit", PASSWORD);
        await page.getByText("This account is not staff: it has no access to the admin.").waitFor();
        expect(graphql.map((r) => r.operation)).toEqual(["AdminLogin", "AdminLogout"]);
        // The key issued for the attempt was revoked at once.
        const amit = await server.app.services.users.findByUsername("amit");
        expect((await server.app.services.tokens.list(amit!.id)).map((t) => t.name)).toEqual(["test"]);
        expect(await page.evaluate<string | null>(`sessionStorage.getItem("drf-token-graphql.admin.key")`)).toBeNull();
        expect(problems).toEqual([]);
      });
    },
    60_000,
  );

  itChromium(
    "a revoked key sends the person back to sign in with the API's message",
    async () => {
      const { page, problems, graphql, explained } = await watchedPage(await launch(), origin, {
        width: 1280,
        height: 800,
      });
      await explained(async () => {
        await signIn(page, server.url, "boss", PASSWORD);
        await page.getByRole("cell", { name: "amit", exact: true }).waitFor();
        const adminKey = await page.evaluate<string>(`sessionStorage.getItem("drf-token-graphql.admin.key")`);
        expect((await api(adminKey, "mutation { revokeToken }")).status).toBe(200);
        await page.goto(`${server.url}/admin#/students`);
        await page.getByRole("alert").filter({ hasText: "Invalid token." }).waitFor();
        await page.screenshot({ path: join(ARTIFACTS, "admin-revoked.png") });
        expect(
          graphql.filter((r) => r.status !== 200).every((r) => r.status === 401 && r.operation === "AdminStudents"),
        ).toBe(true);
        await page.getByRole("button", { name: "Sign in" }).waitFor();
        // Chromium logs every 4xx answer; the 401 is the point here, nothing else may fail.
        expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
      });
    },
    60_000,
  );

  itChromium(
    "throttled sign-in counts down Retry-After; the form works from the keyboard alone",
    async () => {
      const throttled = await startServer({ LOGIN_RATE: "2/min" });
      try {
        await throttled.user("boss", { password: PASSWORD, staff: true });
        const { page, problems, graphql, explained } = await watchedPage(
          await launch(),
          new URL(throttled.url).origin,
          {
            width: 390,
            height: 844,
          },
        );
        await explained(async () => {
          await page.goto(`${throttled.url}/admin`);
          await page.getByRole("button", { name: "Sign in" }).waitFor();
          for (let attempt = 0; attempt < 3; attempt++) {
            // Username has the focus; Tab to the password; Enter submits.
            await page.getByLabel("Username").focus();
            await page.keyboard.press("Control+A");
            await page.keyboard.type("boss");
            await page.keyboard.press("Tab");
            await page.keyboard.press("Control+A");
            await page.keyboard.type("wrong-password");
            await page.keyboard.press("Enter");
            await eventually(async () => expect(graphql.length).toBe(attempt + 1));
          }
          const countdown = page.getByTestId("login-countdown");
          await countdown.waitFor();
          const first = Number(/in (\d+) s/.exec(await countdown.innerText())![1]);
          expect(first).toBeGreaterThan(1);
          expect(first).toBeLessThanOrEqual(60);
          await expect(page.getByRole("button", { name: /Sign in/ }).isDisabled()).resolves.toBe(true);
          await eventually(
            async () => expect(Number(/in (\d+) s/.exec(await countdown.innerText())![1])).toBeLessThan(first),
            // It ticks each second; a loaded machine may render a tick late.
            8000,
          );
          await page.getByRole("alert").filter({ hasText: "Request was throttled." }).waitFor();
          await page.screenshot({ path: join(ARTIFACTS, "admin-throttled-phone.png") });
          expect(graphql.map((r) => r.status)).toEqual([200, 200, 429]);
          expect(problems.filter((p) => !/status of 429/.test(p))).toEqual([]);
        });
      } finally {
        await throttled.close();
      }
    },
    60_000,
  );
});
