// The Prisma CLI's view of the project, for writing migrations and generating
// the clients: the schema and migrations of the provider that DATABASE_URL
// names. Migrations are applied by the project itself (src/db/migrate.ts), so
// the CLI only ever connects to SQLite, through the same driver adapter as the
// app: no native engine, nothing from the network. A PostgreSQL migration is
// written without a database, from schema to schema (README, "Migrations").
import { defineConfig } from "prisma/config";
import { databaseFromUrl, ensureDatabaseDirectory } from "./src/db/database-url";

// No generator here is Prisma's client, so `prisma generate` has no engineType
// to read: without this it fetches a query engine from the network.
process.env.PRISMA_CLIENT_ENGINE_TYPE ??= "client";

const database = databaseFromUrl(process.env.DATABASE_URL);
// The SQLite adapter cannot open a file in a folder that does not exist yet.
ensureDatabaseDirectory(database);

export default defineConfig({
  engine: "js",
  experimental: { adapter: true },
  schema: `prisma/${database.provider}/schema.prisma`,
  migrations: { path: `prisma/${database.provider}/migrations` },
  adapter: async () => {
    if (database.provider !== "sqlite") {
      throw new Error(
        "prisma.config.ts: the Prisma CLI does not connect to PostgreSQL in this project. Apply migrations with `npm run manage -- migrate`; write one with `prisma migrate diff --from-schema-datamodel ... --to-schema-datamodel prisma/postgresql/schema.prisma --script` and DATABASE_URL unset",
      );
    }
    const { PrismaBetterSQLite3 } = await import("@prisma/adapter-better-sqlite3");
    return new PrismaBetterSQLite3({ url: database.url });
  },
});
