import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { cpus } from "node:os";
import { fromDist, project } from "./project";
import { seed } from "./seed";

// `node bench/dist/bench/levers.js`: what each database lever buys, in CPU
// time per call, in one process (no HTTP, no load generator), so the figures
// hold on a busy machine better than req/s do. Each variant runs the same
// statements on the same seeded SQLite file:
//   stock adapter + query event   (before issue 12)
//   stock adapter, no query event
//   cached statements, no query event (src/db/sqlite-adapter.ts; what serves now)
// and, for a page of students, two statements (COUNT, then the page) against
// one (COUNT(*) OVER ()).

type Client = import("../src/db/prisma").Prisma;

const N = Number(process.env.LEVER_CALLS ?? 500);
const ROUNDS = Number(process.env.LEVER_ROUNDS ?? 5);

async function cpuPerCall(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 50; i++) await fn(); // warm: JIT, statement caches, page cache
  const start = process.cpuUsage();
  for (let i = 0; i < N; i++) await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / N; // µs
}

async function main(): Promise<void> {
  const runId = `levers_${process.pid}`;
  const seeded = await seed({ provider: "sqlite", students: 10_000, users: 10, runId, log: console.log });
  try {
    const url = await seeded.copy("levers");
    const { SqliteClient } = {
      SqliteClient: fromDist<typeof import("../src/generated/sqlite/client")>("generated/sqlite/client").PrismaClient,
    };
    const { databaseFromUrl } = project.databaseUrl();
    const { connect } = project.prisma();
    const variants: [string, () => Client][] = [
      [
        "stock adapter + query event",
        () => {
          const c = new SqliteClient({
            adapter: new PrismaBetterSQLite3({ url, timeout: 5000 }),
            log: [{ emit: "event", level: "query" }],
          });
          c.$on("query", () => undefined);
          return c;
        },
      ],
      ["stock adapter", () => new SqliteClient({ adapter: new PrismaBetterSQLite3({ url, timeout: 5000 }) })],
      ["cached statements (now)", () => connect(databaseFromUrl(url), { countQueries: false }).prisma],
    ];
    const id = () => 1 + Math.floor(Math.random() * 10_000);
    const queries: [string, (prisma: Client) => Promise<unknown>][] = [
      [
        "by id: model API",
        (p) => p.student.findUnique({ where: { id: id() }, select: { id: true, name: true, roll: true, city: true } }),
      ],
      ["by id: $queryRaw", (p) => p.$queryRaw`SELECT "id", "name", "roll", "city" FROM "Student" WHERE "id" = ${id()}`],
      [
        "page: COUNT + page",
        (p) =>
          Promise.all([
            p.$queryRaw`SELECT COUNT(*) AS "count" FROM "Student" WHERE 1 = 1`,
            p.$queryRaw`SELECT "id", "name", "roll", "city" FROM "Student" WHERE 1 = 1 ORDER BY "id" LIMIT ${20} OFFSET ${0}`,
          ]),
      ],
      [
        "page: COUNT(*) OVER ()",
        (p) =>
          p.$queryRaw`SELECT "id", "name", "roll", "city", COUNT(*) OVER () AS "count" FROM "Student" WHERE 1 = 1 ORDER BY "id" LIMIT ${20} OFFSET ${0}`,
      ],
      [
        "page: (SELECT COUNT(*)) column",
        (p) =>
          p.$queryRaw`SELECT "id", "name", "roll", "city", (SELECT COUNT(*) FROM "Student" WHERE 1 = 1) AS "count" FROM "Student" WHERE 1 = 1 ORDER BY "id" LIMIT ${20} OFFSET ${0}`,
      ],
    ];
    // Interleaved rounds, median per cell: a busy machine slows whatever runs
    // at the moment, and rounds spread that over every variant alike.
    const clients = variants.map(([name, make]) => [name, make()] as const);
    const samples = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, prisma] of clients) {
        for (const [q, fn] of queries) {
          const key = `${name}\t${q}`;
          samples.set(key, [...(samples.get(key) ?? []), await cpuPerCall(() => fn(prisma))]);
        }
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const rows: string[][] = [["variant", ...queries.map(([q]) => q)]];
    for (const [name, prisma] of clients) {
      rows.push([name, ...queries.map(([q]) => `${median(samples.get(`${name}\t${q}`)!).toFixed(0)} µs`)]);
      await prisma.$disconnect();
    }
    console.log(
      `\nCPU per call (user + system), median of ${ROUNDS} interleaved rounds of ${N} calls, ${cpus().length} x ${cpus()[0]?.model}, Node ${process.version}`,
    );
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const [j, r] of rows.entries()) {
      console.log("| " + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ") + " |");
      if (j === 0)
        console.log(
          "|" + widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|",
        );
    }
  } finally {
    await seeded.drop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
