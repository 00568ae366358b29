import "reflect-metadata";
import Sqlite from "better-sqlite3";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "../../src/app";
import { loadConfig } from "../../src/config/config";
import { CreateStudentDocument, StudentsDocument } from "../generated/graphql";
import { freshSqliteUrl } from "../support/databases";
import { describeSqlite } from "../support/providers";
import { auth, runAt } from "../support/server";

// The built server (`node dist/main.js`, as `npm start` runs it) killed with
// SIGKILL in the middle of a stream of writes: on restart over the same
// SQLite file (WAL), every write it acknowledged is there and the file is sound.

const MAIN = join(__dirname, "..", "..", "dist", "main.js");
jest.setTimeout(90_000);

interface Running {
  child: ChildProcess;
  url: string;
}

function start(databaseUrl: string): Promise<Running> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "silent",
      NODE_ENV: "production",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (d: Buffer) => {
      out += d.toString();
      const match = /Serving GraphQL at (http:\/\/[^\s]+)\/graphql/.exec(out);
      if (match) resolve({ child, url: match[1]! });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`server exited (${code}) before listening: ${out}`)));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode ?? child.exitCode);
    else child.once("exit", (code, signal) => resolve(signal ?? code));
  });

// It reads the SQLite file itself: SQLite runs only.
describeSqlite("SQLite durability", () => {
  it("keeps every acknowledged write across a SIGKILL, and passes PRAGMA integrity_check", async () => {
    if (!existsSync(MAIN)) throw new Error("dist/main.js is missing: run `npm run build` (npm test does) first");
    const databaseUrl = freshSqliteUrl();
    const file = databaseUrl.slice("file:".length);
    const app = createApp(loadConfig({ DATABASE_URL: databaseUrl, NODE_ENV: "test" }));
    const { token: key } = await app.services.accounts.createUser(
      { username: "writer", email: "writer@example.com", password: "a durable passphrase", isStaff: false },
      { allowStaff: false, tokenName: "test" },
    );
    await app.close();

    const first = await start(databaseUrl);
    const acknowledged: number[] = [];
    let next = 0;
    let killed = false;
    // Four writers in a loop; the kill lands while some requests are in flight.
    const writer = async () => {
      while (!killed) {
        const roll = next++;
        try {
          const res = await runAt(
            first.url,
            CreateStudentDocument,
            { input: { name: `Student ${roll}`, roll, city: "Durable" } },
            auth(key),
          );
          if (res.status === 200 && res.body.data?.createStudent?.roll === roll) acknowledged.push(roll);
        } catch {
          // Connection reset by the kill: not acknowledged, so no promise was made.
        }
      }
    };
    const writers = Array.from({ length: 4 }, writer);
    while (acknowledged.length < 80) await new Promise((r) => setTimeout(r, 5));
    first.child.kill("SIGKILL");
    killed = true;
    expect(await exited(first.child)).toBe("SIGKILL");
    await Promise.all(writers);
    expect(existsSync(`${file}-wal`)).toBe(true);

    const second = await start(databaseUrl);
    try {
      const stored = new Set<number>();
      for (let offset = 0; ; offset += 100) {
        const res = await runAt(second.url, StudentsDocument, { limit: 100, offset, orderBy: "ROLL_ASC" }, auth(key));
        const rolls = res.body.data!.students.results.map((r) => r.roll);
        rolls.forEach((r) => stored.add(r));
        if (rolls.length < 100) break;
      }
      expect(acknowledged.filter((roll) => !stored.has(roll))).toEqual([]);
      // Nothing is there that was never attempted.
      expect([...stored].every((roll) => roll < next)).toBe(true);
    } finally {
      second.child.kill("SIGTERM");
      await exited(second.child);
    }

    const db = new Sqlite(file, { readonly: true });
    try {
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    } finally {
      db.close();
    }
  });
});
