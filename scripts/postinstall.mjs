#!/usr/bin/env node
// `npm install`'s last part: each long step says what it is doing before it
// starts and how long it took, so an install never sits silent for a minute.
import { spawnSync } from "node:child_process";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// npm puts node_modules/.bin on PATH for its scripts; this does too when run by hand.
const env = { ...process.env, PATH: `${join(root, "node_modules", ".bin")}${delimiter}${process.env.PATH ?? ""}` };

const steps = [
  [
    "checking prisma/postgresql/schema.prisma against prisma/sqlite/schema.prisma",
    ["node", "scripts/prisma-schemas.mjs", "--check"],
  ],
  [
    "generating Kysely's row types from the Prisma schema (prisma generate)",
    ["prisma", "generate", "--schema", "prisma/sqlite/schema.prisma"],
  ],
  ["compiling src/ to dist/ (tsc)", ["node", "scripts/build.mjs"]],
  ["building the admin to admin/dist/ (vite)", ["vite", "build", "--config", "admin/vite.config.mts"]],
];

for (const [i, [what, [command, ...args]]] of steps.entries()) {
  console.log(`[postinstall ${i + 1}/${steps.length}] ${what}...`);
  const started = Date.now();
  const run = spawnSync(command === "node" ? process.execPath : command, args, { cwd: root, env, stdio: "inherit" });
  if (run.status !== 0) {
    console.error(`[postinstall] ${what} failed (${run.error?.message ?? `exit ${run.status ?? run.signal}`})`);
    process.exit(run.status ?? 1);
  }
  console.log(`[postinstall ${i + 1}/${steps.length}] done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
