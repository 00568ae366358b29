import { testDatabase } from "./databases";

// Blocks that make sense on one provider only. They show as skipped on the
// other run, so the output still says they exist.

/** Tests that read SQLite's own files (storage scans, WAL durability). */
export const describeSqlite: jest.Describe = testDatabase() === "sqlite" ? describe : describe.skip;

/** Tests of several processes sharing one database server. */
export const describePostgres: jest.Describe = testDatabase() === "postgresql" ? describe : describe.skip;
