import { rmSync } from "node:fs";
import { PG_TEMPLATE_ENV, TEST_ROOT_ENV, onPostgres } from "./databases";

export default async function globalTeardown(): Promise<void> {
  const root = process.env[TEST_ROOT_ENV];
  if (root) rmSync(root, { recursive: true, force: true });
  const template = process.env[PG_TEMPLATE_ENV];
  if (!template) return;
  // Every database of this run shares the template's prefix.
  const prefix = template.replace(/_template$/, "");
  await onPostgres(async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
      [prefix],
    );
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  });
}
