import { testDatabase } from "./databases";

// Blocks that make sense on one provider, or with one program, only. They
// show as skipped on the other run, with the reason at the end of their
// title, so the output still says they exist and scripts/test.mjs can sum
// the skipped tests by reason in its last line.

/** The mark scripts/test.mjs reads: a skipped test's title, or one of its blocks', ends with it. */
export const skipMark = (why: string): string => ` [skipped: ${why}]`;

/** `describe.skip`, with `why` at the end of the block's title (`.each` included). */
export function describeSkipped(why: string): jest.Describe {
  const skipped = (name: string, fn: jest.EmptyFunction) => describe.skip(`${name}${skipMark(why)}`, fn);
  return Object.assign(skipped, describe.skip, { each: markedEach(describe.skip.each, why) });
}

/** `it.skip`, with `why` at the end of the test's title (`.each` included). */
export function itSkipped(why: string): jest.It {
  const skipped = (name: string, fn?: jest.ProvidesCallback, timeout?: number) =>
    it.skip(`${name}${skipMark(why)}`, fn, timeout);
  return Object.assign(skipped, it.skip, { each: markedEach(it.skip.each, why) });
}

/**
 * A skipped `.each` whose titles carry the mark: jest's own would print the
 * tests of `describeSqlite.each(...)` on PostgreSQL with no reason.
 */
function markedEach(each: jest.Each, why: string): jest.Each {
  type Block = (name: string, fn: (...args: never[]) => unknown, timeout?: number) => void;
  const table = each as unknown as (...cases: unknown[]) => Block;
  const marked = (...cases: unknown[]): Block => {
    const block = table(...cases);
    return (name, fn, timeout) => block(`${name}${skipMark(why)}`, fn, timeout);
  };
  return marked;
}

export const POSTGRES_ONLY = "PostgreSQL-only, run `npm run test:pg`";
export const SQLITE_ONLY = "SQLite-only, run `npm test`";

/** Tests that read SQLite's own files (storage scans, WAL durability). */
export const describeSqlite: jest.Describe = testDatabase() === "sqlite" ? describe : describeSkipped(SQLITE_ONLY);

/** Tests of several processes sharing one database server. */
export const describePostgres: jest.Describe =
  testDatabase() === "postgresql" ? describe : describeSkipped(POSTGRES_ONLY);

/** `it` on SQLite only. */
export const itSqlite: jest.It = testDatabase() === "sqlite" ? it : itSkipped(SQLITE_ONLY);

/** Tests of limits kept in Redis: scripts/test.mjs sets TEST_REDIS_URL when Redis answers. */
export const NO_REDIS = "no Redis answered, set TEST_REDIS_URL";
export const redisUrl: string | undefined = process.env.TEST_REDIS_URL || undefined;
export const describeRedis: jest.Describe = redisUrl ? describe : describeSkipped(NO_REDIS);
