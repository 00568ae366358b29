#!/usr/bin/env node
// One Prisma schema holds one provider, so PostgreSQL gets its own file,
// derived from the SQLite one: the models are written once, in
// prisma/sqlite/schema.prisma.
//
//   node scripts/prisma-schemas.mjs          writes prisma/postgresql/schema.prisma
//   node scripts/prisma-schemas.mjs --check  exits 1 when that file is stale
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "prisma/sqlite/schema.prisma");
const target = join(root, "prisma/postgresql/schema.prisma");

export function derivePostgresSchema(sqlite) {
  const out = sqlite
    .replace(/^\/\/ The models' single source\.[\s\S]*?\n\n/m, "")
    // The row types are generated once, from the SQLite schema: the models are the same.
    .replace(/^\/\/ Row types for Kysely[\s\S]*?\ngenerator kysely \{[\s\S]*?\n\}\n\n/m, "")
    .replace(
      /datasource db \{[\s\S]*?\n\}/,
      'datasource db {\n  provider = "postgresql"\n  url      = "postgresql://localhost/unused"\n}',
    );
  if (out === sqlite || !out.includes('provider = "postgresql"') || out.includes("generator kysely")) {
    throw new Error("prisma/sqlite/schema.prisma no longer has the generator/datasource blocks this script rewrites");
  }
  return "// GENERATED from prisma/sqlite/schema.prisma by scripts/prisma-schemas.mjs: edit that file.\n\n" + out;
}

const wanted = derivePostgresSchema(readFileSync(source, "utf8"));
if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {
    // no file yet: it is stale
  }
  if (current !== wanted) {
    console.error(
      "prisma/postgresql/schema.prisma is stale: run `node scripts/prisma-schemas.mjs` and add a migration",
    );
    process.exit(1);
  }
} else {
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, wanted);
}
