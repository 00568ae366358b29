// `npm run build`: compiles src/ to dist/ (tsc -p tsconfig.build.json) and
// stamps dist/.build-stamp with the time the compile started.
//
// `--if-stale` (npm start, npm run manage): compiles only when a file under
// src/ or a tsconfig is newer than that stamp, so a start with a current
// dist/ costs one stat per source file instead of a tsc run. Without src/
// (a deployment that ships dist/ alone) it does nothing.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "src");
const STAMP = join(ROOT, "dist", ".build-stamp");
const CONFIGS = ["tsconfig.json", "tsconfig.build.json"].map((f) => join(ROOT, f));

/** The newest modification time under `dir`, in ms. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const time = entry.isDirectory() ? newest(path) : statSync(path).mtimeMs;
    if (time > latest) latest = time;
  }
  return latest;
}

function stale() {
  if (!existsSync(SRC)) return false;
  if (!existsSync(STAMP)) return true;
  const built = statSync(STAMP).mtimeMs;
  return Math.max(newest(SRC), ...CONFIGS.filter(existsSync).map((f) => statSync(f).mtimeMs)) > built;
}

if (process.argv.includes("--if-stale")) {
  if (!stale()) process.exit(0);
  process.stderr.write("Compiling src/ to dist/ (changed since the last build)...\n");
}

const started = new Date();
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const result = spawnSync(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json")], {
  cwd: ROOT,
  stdio: "inherit",
});
if (result.status !== 0) {
  process.stderr.write("The build failed: dist/ is not up to date (see the errors above).\n");
  process.exit(result.status ?? 1);
}
// The start time, not the end: a file saved during the compile stays newer.
writeFileSync(STAMP, "");
utimesSync(STAMP, started, started);
