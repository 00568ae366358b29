import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

// The project's own modules, loaded from its build (dist/, what `node
// dist/main.js` runs) rather than compiled a second time: the bench measures
// exactly the code it serves. Types come from the sources.

function findRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "drf-token-graphql")
      return dir;
  }
  throw new Error(`bench: cannot find the project root above ${from}`);
}

export const ROOT = findRoot(__dirname);
export const DIST = join(ROOT, "dist");

/** A module of the build; run `npm run build` first. */
export function fromDist<T>(path: string): T {
  const file = join(DIST, `${path}.js`);
  if (!existsSync(file)) throw new Error(`bench: ${file} is missing: run \`npm run build\` first`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known at run time (the build in dist/), not a module import
  return require(file) as T;
}

export const project = {
  crypto: () => fromDist<typeof import("../src/auth/crypto")>("auth/crypto"),
  scopeColumn: () => fromDist<typeof import("../src/auth/scope-column")>("auth/scope-column"),
  scopes: () => fromDist<typeof import("../src/graphql/scopes")>("graphql/scopes"),
  passwords: () => fromDist<typeof import("../src/users/password-hasher")>("users/password-hasher"),
  databaseUrl: () => fromDist<typeof import("../src/db/database-url")>("db/database-url"),
  migrate: () => fromDist<typeof import("../src/db/migrate")>("db/migrate"),
  database: () => fromDist<typeof import("../src/db/database")>("db/database"),
  config: () => fromDist<typeof import("../src/config/config")>("config/config"),
  app: () => fromDist<typeof import("../src/app")>("app"),
  server: () => fromDist<typeof import("../src/http/server")>("http/server"),
  logger: () => fromDist<typeof import("../src/logger")>("logger"),
};
