import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBuilt } from "../../support/build";
import { freshDatabaseUrl } from "../../support/databases";
import { startProcess, stopCleanly, type ServerProcess } from "../../support/processes";
import { itWithTool } from "../../support/system-tool";
import { ANCHOR, describeWithDjango } from "./django-fixture";

// README.md's "Coming from DRF", run as written: the first block (copy the
// anchor, setup.sh, migrate, dry run, import) in bash, `npm start` as the
// real server process, then the second block with the real httpie: the
// seed's Django password and DRF key work.

const ROOT = join(__dirname, "..", "..", "..");
const SECTION = "## Coming from DRF";

function blocks(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf(SECTION);
  if (start < 0) throw new Error(`README.md has no "${SECTION}" section`);
  const next = readme.indexOf("\n## ", start + SECTION.length);
  return [...readme.slice(start, next < 0 ? undefined : next).matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

function bash(script: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-euo", "pipefail", "-c", script], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 300_000,
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describeWithDjango("README: Coming from DRF", () => {
  let server: ServerProcess | undefined;
  afterAll(() => stopCleanly(server));

  itWithTool("/usr/bin/http", "httpie")(
    "imports the anchor's database, and the original password and key work against npm start",
    async () => {
      await ensureBuilt();
      const [importSteps = "", clientSteps = ""] = blocks();
      expect(importSteps).toMatch(/npm run manage -- import-django/);
      expect(importSteps).toMatch(/^npm start$/m);
      const DATABASE_URL = await freshDatabaseUrl();
      // The clone's ../shared may sit elsewhere (a worktree); `npm run manage` is the build plus this line,
      // and the build is done; `npm start` runs below as its own process.
      const script =
        importSteps
          .replaceAll("../shared/anchors/drf", ANCHOR)
          .replaceAll("npm run manage -- ", `"${process.execPath}" dist/manage/manage.js `)
          .replace(/^npm start$/m, "") + '\necho "drf=$drf"\n';
      const imported = await bash(script, { DATABASE_URL, LOG_LEVEL: "warn" });
      expect(imported.output).toMatch(
        /Dry run: nothing was written\. From SQLite at .* it would import:\nusers: 2\nkeys: 2\nstudents: 100\nskipped: 0\n/,
      );
      expect(imported.output).toMatch(/Imported from SQLite at .*:\nusers: 2\nkeys: 2\nstudents: 100\nskipped: 0\n/);
      expect(imported.code).toBe(0);
      const drf = /^drf=(.+)$/m.exec(imported.output)![1]!;

      server = await startProcess({ DATABASE_URL });
      const port = new URL(server.url).port;
      // As the walkthrough test does: no stdin for httpie to mistake for a body, and 4xx fails the step.
      const steps = clientSteps
        .replaceAll(":4000/", `:${port}/`)
        .replace(/^http /gm, "http --ignore-stdin --check-status --pretty=none --print=b --timeout=30 ");
      const client = await bash(steps, { drf });
      expect(client).toMatchObject({ code: 0 });
      const [login, me] = client.output
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as unknown);
      expect(login).toEqual({ data: { obtainToken: { token: expect.stringMatching(/^[0-9a-f]{40}$/) } } });
      expect(me).toEqual({ data: { me: { username: "amit" } } });
    },
    600_000,
  );
});
