import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MeDocument, StudentsDocument } from "../generated/graphql";
import { auth, startServer, type TestServer } from "../support/server";
import { itWithTool } from "../support/system-tool";

// README.md's "Walkthrough: the seed, translated", then its "Keys that can
// do less", run as written: every `http` and `npm run manage` line of those
// sections, in order, with the real httpie against a live server on a fresh
// database. `export NAME=<key>` lines take the key the previous command
// printed, as the README says.

const ROOT = join(__dirname, "..", "..");
const HTTP = "/usr/bin/http";
const WALKTHROUGH = "## Walkthrough: the seed, translated";
const SCOPED = "## Keys that can do less";
const KEY = /\b[0-9a-f]{40}\b/g;

type Step = { kind: "http" | "manage"; command: string } | { kind: "export"; name: string; command: string };

/** A section's shell lines (backslash continuations joined), classified. */
export function sectionSteps(readme: string, heading: string): Step[] {
  const start = readme.indexOf(heading);
  if (start < 0) throw new Error(`README.md has no "${heading}" section`);
  const next = readme.indexOf("\n## ", start + heading.length);
  const section = readme.slice(start, next < 0 ? undefined : next);
  const steps: Step[] = [];
  for (const block of section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    const lines = block[1]!.replace(/\\\n\s*/g, "").split("\n");
    for (const line of lines.map((l) => l.trim())) {
      if (line === "" || line.startsWith("#")) continue;
      const exported = /^export (\w+)=<key>$/.exec(line);
      if (exported) steps.push({ kind: "export", name: exported[1]!, command: line });
      else if (/^http /.test(line)) steps.push({ kind: "http", command: line });
      else if (/^(\w+=\S+ )*npm run manage -- /.test(line)) steps.push({ kind: "manage", command: line });
      else throw new Error(`"${heading}" has a line this test cannot run: ${line}`);
    }
  }
  return steps;
}

const readmeSteps = (heading: string) => sectionSteps(readFileSync(join(ROOT, "README.md"), "utf8"), heading);

interface Output {
  status: number;
  text: string;
  /** HTTP status and parsed JSON body, for httpie steps. */
  http?: { status: number; headers: string; body: string; json?: any };
}

/** What one command must answer, matched on its text; `status`: the HTTP status when it is not 2xx. */
interface Expectation {
  match: RegExp;
  status?: number;
  check: (out: Output) => void;
}

// What each command must answer, per section. Every command needs exactly
// one entry, so the README and this test change together.
const EXPECTATIONS: Expectation[] = [
  {
    match: /createsuperuser/,
    check: (o) =>
      expect(o.text).toMatch(/^Superuser created successfully\.\nGenerated token [0-9a-f]{40} for user admin\n$/),
  },
  {
    match: /createUser\(/,
    check: (o) =>
      expect(o.http!.json.data.createUser).toEqual({
        token: expect.stringMatching(/^[0-9a-f]{40}$/),
        user: { id: "2", username: "amit" },
      }),
  },
  {
    match: /register\(/,
    check: (o) =>
      expect(o.http!.json.data.register).toEqual({
        token: expect.stringMatching(/^[0-9a-f]{40}$/),
        user: { id: "3", username: "priya" },
      }),
  },
  {
    match: /createToken\(/,
    check: (o) =>
      expect(o.http!.json.data.createToken).toEqual({
        token: expect.stringMatching(/^[0-9a-f]{40}$/),
        user: { username: "amit" },
      }),
  },
  {
    match: /create-token amit/,
    check: (o) => expect(o.text).toMatch(/^Generated token [0-9a-f]{40} for user amit\n$/),
  },
  { match: /obtainToken\(/, check: (o) => expect(o.http!.json.data.obtainToken.token).toMatch(/^[0-9a-f]{40}$/) },
  {
    match: /name: "Aman"/,
    check: (o) => expect(o.http!.json.data.createStudent).toEqual({ id: "1", name: "Aman", roll: 1, city: "Ranchi" }),
  },
  {
    match: /"name": "John"/,
    check: (o) => expect(o.http!.json.data.createStudent).toEqual({ id: "2", name: "John", roll: 2, city: "Pune" }),
  },
  {
    match: /POST .*\{ students \{/,
    check: (o) =>
      expect(o.http!.json.data.students).toEqual({
        count: 2,
        results: [
          { id: "1", name: "Aman", roll: 1, city: "Ranchi" },
          { id: "2", name: "John", roll: 2, city: "Pune" },
        ],
      }),
  },
  {
    match: /GET .*query==.*students/,
    check: (o) =>
      expect(o.http!.json.data.students).toEqual({ count: 2, results: [{ name: "John" }, { name: "Aman" }] }),
  },
  {
    match: /student\(id: "1"\)/,
    check: (o) => expect(o.http!.json.data.student).toMatchObject({ id: "1", name: "Aman", roll: 1, city: "Ranchi" }),
  },
  {
    match: /updateStudent\(/,
    check: (o) =>
      expect(o.http!.json.data.updateStudent).toEqual({ id: "2", name: "John Updated", roll: 2, city: "Mumbai" }),
  },
  {
    match: /patchStudent\(/,
    check: (o) =>
      expect(o.http!.json.data.patchStudent).toEqual({ id: "2", name: "John Updated", roll: 2, city: "Delhi" }),
  },
  { match: /deleteStudent\(/, check: (o) => expect(o.http!.json.data).toEqual({ deleteStudent: true }) },
  {
    match: /^http OPTIONS /,
    check: (o) => {
      expect(o.http!.status).toBe(204);
      expect(o.http!.headers).toMatch(/^allow: GET, POST, OPTIONS$/im);
    },
  },
  {
    match: /__type\(name: "StudentInput"\)/,
    check: (o) =>
      expect(o.http!.json.data.__type.inputFields.map((f: { name: string }) => f.name).sort()).toEqual([
        "city",
        "name",
        "roll",
      ]),
  },
  { match: /schema\.graphql/, check: (o) => expect(o.http!.body).toContain("type Student {") },
  {
    match: /^http HEAD .*healthz/,
    check: (o) => {
      expect(o.http!.status).toBe(200);
      expect(o.http!.body).toBe("");
    },
  },
];

const SCOPED_EXPECTATIONS: Expectation[] = [
  {
    match: /obtainToken\(.*scopes: \[STUDENTS_READ\]/,
    check: (o) =>
      expect(o.http!.json.data.obtainToken).toEqual({
        token: expect.stringMatching(/^[0-9a-f]{40}$/),
        scopes: ["STUDENTS_READ"],
        expiresAt: null,
      }),
  },
  {
    match: /READ_TOKEN.*\{ students \{/,
    check: (o) => expect(o.http!.json.data.students).toEqual({ count: 1, results: [{ name: "Aman" }] }),
  },
  {
    match: /READ_TOKEN.*createStudent\(/,
    status: 403,
    check: (o) =>
      expect(o.http!.json).toEqual({
        errors: [
          {
            message: "You do not have permission to perform this action.",
            extensions: { code: "FORBIDDEN", requiredScopes: ["STUDENTS_WRITE"] },
          },
        ],
      }),
  },
  {
    match: /obtainToken\(.*expiresIn: "7d"/,
    check: (o) => {
      const { token, expiresAt } = o.http!.json.data.obtainToken;
      expect(token).toMatch(/^[0-9a-f]{40}$/);
      expect(Math.abs(Date.parse(expiresAt) - (Date.now() + 7 * 86400_000))).toBeLessThan(60_000);
    },
  },
  {
    match: /createToken\(.*scopes: \[STUDENTS_READ, STUDENTS_WRITE\]/,
    check: (o) => {
      const issued = o.http!.json.data.createToken;
      expect(issued.scopes).toEqual(["STUDENTS_READ", "STUDENTS_WRITE"]);
      expect(Math.abs(Date.parse(issued.expiresAt) - (Date.now() + 30 * 86400_000))).toBeLessThan(60_000);
    },
  },
  {
    match: /create-token amit --name reports --scope STUDENTS_READ --expires 30d/,
    check: (o) => expect(o.text).toMatch(/^Generated token [0-9a-f]{40} for user amit\n$/),
  },
];

const itHttpie = itWithTool(HTTP, "httpie");

/** Runs a shell line without blocking this process: the server under test lives in it. */
function sh(
  command: string,
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", command], { cwd: ROOT, env, timeout: 30_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Every command of `steps` has exactly one expectation: the README and this test change together. */
function expectEachCovered(steps: Step[], expectations: Expectation[]) {
  for (const step of steps.filter((s) => s.kind !== "export")) {
    expect([step.command, expectations.filter((e) => e.match.test(step.command)).length]).toEqual([step.command, 1]);
  }
}

describe("the README walkthrough", () => {
  it("has steps this test can run, each with an expectation", () => {
    const steps = readmeSteps(WALKTHROUGH);
    const commands = steps.filter((s) => s.kind !== "export");
    expect(commands.length).toBeGreaterThanOrEqual(15);
    expectEachCovered(steps, EXPECTATIONS);
    // Every way the seed gets a key, and every verb it uses, is there.
    const text = commands.map((s) => s.command).join("\n");
    for (const needed of [
      "createsuperuser",
      "createUser(",
      "register(",
      "createToken(",
      "create-token",
      "obtainToken(",
      "http OPTIONS",
      "http HEAD",
    ]) {
      expect(text).toContain(needed);
    }
  });

  it('"Keys that can do less" has steps this test can run, each with an expectation', () => {
    const steps = readmeSteps(SCOPED);
    expectEachCovered(steps, SCOPED_EXPECTATIONS);
    const text = steps.map((s) => s.command).join("\n");
    for (const needed of ["scopes: [STUDENTS_READ]", "createStudent(", 'expiresIn: "7d"', "--scope", "--expires"]) {
      expect(text).toContain(needed);
    }
  });

  describe("run with httpie against a live server", () => {
    let server: TestServer;
    let home: string;
    beforeAll(async () => {
      server = await startServer();
      home = mkdtempSync(join(tmpdir(), "walkthrough-"));
      // httpie checks for its own updates over the internet unless told not to.
      writeFileSync(join(home, "config.json"), JSON.stringify({ disable_update_warnings: true }));
    });
    afterAll(async () => {
      await server.close();
      rmSync(home, { recursive: true, force: true });
    });

    /** Runs a section's steps in order with `env` (keys exported along the way land in it). */
    async function runSection(steps: Step[], expectations: Expectation[], env: Record<string, string>) {
      const manage = join(ROOT, "dist", "manage", "manage.js");
      if (!existsSync(manage)) throw new Error("dist/manage/manage.js is missing: run `npm run build` (npm test does)");
      const port = new URL(server.url).port;
      let previous: Output | undefined;
      for (const step of steps) {
        if (step.kind === "export") {
          const keys = previous?.text.match(KEY) ?? [];
          expect([step.command, keys.length > 0]).toEqual([step.command, true]);
          env[step.name] = keys[keys.length - 1]!;
          continue;
        }
        const [expectation] = expectations.filter((e) => e.match.test(step.command));
        // The server listens on a free port of 127.0.0.1; `npm run manage --`
        // is `npm run build` then this same program, already built by npm test.
        const command =
          step.kind === "http"
            ? step.command
                .replace(/^http /, `${HTTP} --check-status --ignore-stdin --pretty=none --print=hb --timeout=10 `)
                .replace(/(?<=\s):4000(?=[/\s]|$)/g, `127.0.0.1:${port}`)
            : step.command.replace(
                "npm run manage --",
                `${JSON.stringify(process.execPath)} ${JSON.stringify(manage)}`,
              );
        const run = await sh(command, env);
        const out: Output = { status: run.status ?? -1, text: run.stdout };
        if (expectation?.status === undefined) {
          expect([step.command, run.status, run.stderr]).toEqual([step.command, 0, ""]);
        } else {
          // httpie's --check-status: exit 4 and a warning naming the status
          // ("http: warning: HTTP 403 ..." or, in newer versions, "http: LogLevel.WARNING: HTTP 403 ...").
          expect([step.command, run.status, run.stderr]).toEqual([
            step.command,
            4,
            expect.stringMatching(new RegExp(`^\\s*http: \\S+: HTTP ${expectation.status} \\S+\\s*$`)),
          ]);
        }
        if (step.kind === "http") {
          const [head = "", ...rest] = run.stdout.split(/\r?\n\r?\n/);
          const body = rest.join("\n\n").trim();
          out.http = { status: Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head)?.[1]), headers: head, body };
          expect([step.command, out.http.status < 400 ? undefined : out.http.status]).toEqual([
            step.command,
            expectation?.status,
          ]);
          if (body !== "" && /^content-type: application\/json/im.test(head)) {
            out.http.json = JSON.parse(body);
            if (expectation?.status === undefined)
              expect([step.command, out.http.json.errors]).toEqual([step.command, undefined]);
          }
        }
        expectation?.check(out);
        previous = out;
      }
    }

    itHttpie(
      "every command answers what the README says: the walkthrough, then Keys that can do less",
      async () => {
        const env: Record<string, string> = {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: home,
          HTTPIE_CONFIG_DIR: home,
          NO_PROXY: "*",
          DATABASE_URL: server.app.config.DATABASE_URL.url,
          LOG_LEVEL: "silent",
        };
        await runSection(readmeSteps(WALKTHROUGH), EXPECTATIONS, env);

        // $TOKEN ends as amit's key, and the walkthrough left one student.
        const me = await server.run(MeDocument, {}, auth(env.TOKEN!));
        expect(me.body.data?.me?.username).toBe("amit");
        expect(me.body.data?.myTokens).toHaveLength(4); // createUser, createToken, create-token, obtainToken
        const students = await server.run(StudentsDocument, {}, auth(env.TOKEN!));
        expect(students.body.data?.students).toEqual({
          count: 1,
          results: [{ id: "1", name: "Aman", roll: 1, city: "Ranchi" }],
        });

        await runSection(readmeSteps(SCOPED), SCOPED_EXPECTATIONS, env);
        // The read-only key wrote nothing; amit now has the section's four keys more.
        expect((await server.run(StudentsDocument, {}, auth(env.TOKEN!))).body.data?.students.count).toBe(1);
        const after = await server.run(MeDocument, {}, auth(env.TOKEN!));
        expect(after.body.data?.myTokens.map((t) => t.name).slice(4)).toEqual(["dashboard", "ci", "ci", "reports"]);
      },
      180_000,
    );
  });
});
