import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { databaseFromUrl } from "../../src/db/database-url";
import { migrate } from "../../src/db/migrate";
import { TEST_ROOT_ENV } from "./databases";

export default async function globalSetup(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "drf-token-graphql-tests-"));
  process.env[TEST_ROOT_ENV] = root;
  await migrate(databaseFromUrl(`file:${join(root, "template.sqlite3")}`));
}
