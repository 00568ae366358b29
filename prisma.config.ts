// The Prisma CLI's view of the database: the schema and migrations of the
// provider that DATABASE_URL names, reached through the same driver adapter as
// the app, so the CLI needs no native engine and nothing from the network.
import { defineConfig } from "prisma/config";
import { databaseFromUrl, ensureDatabaseDirectory } from "./src/db/database-url";

const database = databaseFromUrl(process.env.DATABASE_URL);
// The SQLite adapter cannot open a file in a folder that does not exist yet.
ensureDatabaseDirectory(database);

export default defineConfig({
  engine: "js",
  experimental: { adapter: true },
  schema: `prisma/${database.provider}/schema.prisma`,
  migrations: { path: `prisma/${database.provider}/migrations` },
  adapter: async () => {
    if (database.provider === "sqlite") {
      const { PrismaBetterSQLite3 } = await import("@prisma/adapter-better-sqlite3");
      return new PrismaBetterSQLite3({ url: database.url });
    }
    const { PrismaPg } = await import("@prisma/adapter-pg");
    return new PrismaPg({ connectionString: database.url });
  },
});
