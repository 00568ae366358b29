import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { startServer, type TestServer } from "../support/server";
import { ARTIFACTS, CHROMIUM, eventually, itChromium } from "../support/browser";

// The playground in Debian's Chromium, driven the way a person would: the
// seed's flow (obtain a key, put it in the headers, list students), with
// every console error and every request off this server counted as a failure.

const PASSWORD = "P@ssrord123";

describe("the playground in a browser", () => {
  let server: TestServer;
  let browser: Browser | undefined;

  beforeAll(async () => {
    server = await startServer();
    await server.user("amit", { password: PASSWORD });
    for (const [name, roll, city] of [
      ["Ada Lovelace", 1, "London"],
      ["Srinivasa Ramanujan", 2, "Erode"],
      ["Emmy Noether", 3, "Erlangen"],
    ] as const) {
      await server.app.services.students.create({ name, roll, city });
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server.close();
  });

  const QUERY = ".graphiql-query-editor";
  const HEADERS = ".graphiql-editor-tool .graphiql-editor:not(.hidden)";
  const RESPONSE = ".graphiql-response";

  /** The text of the CodeMirror editor inside `selector` (browser code, as text: no DOM types here). */
  const editorText = (page: Page, selector: string) =>
    page.evaluate<string | null>(`(() => {
      const editor = document.querySelector(${JSON.stringify(`${selector} .CodeMirror`)});
      return editor ? editor.CodeMirror.getValue() : null;
    })()`);

  itChromium(
    "obtains a key, puts it in the headers and lists students, with no console error and no foreign request",
    async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
      });
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const problems: string[] = [];
      const origin = new URL(server.url).origin;
      page.on("console", (msg) => {
        if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
      });
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      page.on("request", (request) => {
        const url = new URL(request.url());
        if (url.protocol !== "data:" && url.origin !== origin)
          problems.push(`request off the server: ${request.url()}`);
      });
      // Chromium reports CSP violations here as well as in the console.
      await page.addInitScript({
        content: `document.addEventListener("securitypolicyviolation", (e) =>
          console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI));`,
      });

      const response = await page.goto(`${server.url}/playground`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()["content-security-policy"]).toContain("script-src 'self';");

      // Step 1: the first tab is obtainToken, with amit's credentials as variables.
      await page.locator(".graphiql-query-editor .CodeMirror").waitFor();
      expect(await editorText(page, QUERY)).toContain("mutation ObtainToken");
      expect(await editorText(page, HEADERS)).toContain('"Authorization": ""');
      await page.locator(".graphiql-execute-button").click();
      const result = page.locator(".graphiql-response .CodeMirror");
      await eventually(async () => expect(await editorText(page, RESPONSE)).toMatch(/"token": "[0-9a-f]{40}"/));
      const key = /"token": "([0-9a-f]{40})"/.exec((await editorText(page, RESPONSE)) ?? "")![1]!;

      // The page offers the key; taking it fills this tab's headers.
      await page.getByRole("button", { name: "Use this key in the headers" }).click();
      await eventually(async () =>
        expect(await editorText(page, HEADERS)).toContain(`"Authorization": "Token ${key}"`),
      );
      await eventually(async () =>
        expect(await page.locator(".playground-key").innerText()).toContain("The headers now send"),
      );

      // Step 2: the students tab gets the key when opened, and lists them.
      await page.locator(".graphiql-tab", { hasText: "Students" }).click();
      await eventually(async () => expect(await editorText(page, QUERY)).toContain("query Students"));
      await eventually(async () =>
        expect(await editorText(page, HEADERS)).toContain(`"Authorization": "Token ${key}"`),
      );
      await page.locator(".graphiql-execute-button").click();
      await eventually(async () => expect(await editorText(page, RESPONSE)).toContain("Emmy Noether"));
      const listed = JSON.parse((await editorText(page, RESPONSE))!);
      expect(listed).toEqual({
        data: {
          students: {
            count: 3,
            results: [
              { id: expect.any(String), name: "Ada Lovelace", roll: 1, city: "London" },
              { id: expect.any(String), name: "Srinivasa Ramanujan", roll: 2, city: "Erode" },
              { id: expect.any(String), name: "Emmy Noether", roll: 3, city: "Erlangen" },
            ],
          },
        },
      });
      // On screen, not only in the editor's model.
      await eventually(async () => expect(await result.innerText()).toContain("Srinivasa Ramanujan"));

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "playground.png") });

      // A key that can do less: the notice names its scopes, and the key reads but does not write.
      await page.locator(".graphiql-tab", { hasText: "ReadOnlyKey" }).click();
      await eventually(async () => expect(await editorText(page, QUERY)).toContain("scopes: [STUDENTS_READ]"));
      await page.locator(".graphiql-execute-button").click();
      await eventually(async () => expect(await editorText(page, RESPONSE)).toContain('"STUDENTS_READ"'));
      const readOnly = /"token": "([0-9a-f]{40})"/.exec((await editorText(page, RESPONSE)) ?? "")![1]!;
      await eventually(async () =>
        expect(await page.locator(".playground-key").innerText()).toContain(
          `obtainToken returned a key (only STUDENTS_READ): ${readOnly.slice(0, 8)}`,
        ),
      );
      const write = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Token ${readOnly}` },
        body: JSON.stringify({ query: 'mutation { createStudent(input: {name: "X", roll: 9, city: "Y"}) { id } }' }),
      });
      expect(write.status).toBe(403);
      // A dialog adds GraphiQL's one run-time <style>: the CSP admits it by nonce.
      await page.getByRole("button", { name: "Open settings dialog" }).click();
      await page.getByRole("dialog").waitFor();
      expect(await page.evaluate<number>(`document.querySelectorAll("style:not([nonce])").length`)).toBe(0);
      await page.keyboard.press("Escape");

      expect(problems).toEqual([]);
    },
    60_000,
  );
});
