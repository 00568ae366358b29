// The bench's baseline: the same five operations over bare node:http and the
// database driver (better-sqlite3 prepared statements, or pg), with the same
// key check as the product (SHA-256 digest joined with its user, expiry,
// active user, lastUsedAt written at most once a minute) and the same argon2id
// verify for logins. No GraphQL: it dispatches on the request's operationName
// and answers the JSON our server answers. It is what this machine can do for
// this work, so ours/baseline says what the stack costs.
//
//   DATABASE_URL=file:... PORT=4100 WEB_CONCURRENCY=2 node bench/baseline-server.mjs
import cluster from "node:cluster";
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { verify } from "@node-rs/argon2";

const DATABASE_URL = process.env.DATABASE_URL ?? "";
const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 4100);
const WORKERS = Math.max(1, Number(process.env.WEB_CONCURRENCY ?? 1) || 1);
const LAST_USED_RESOLUTION_MS = 60_000;
// SQLite keeps Prisma's text format; pg takes Date objects. Set by the store.
let sqlDate = (d) => d;

// ---- HTTP ----

function send(res, status, payload, headers = {}) {
  // The trailing newline is Apollo's, so both servers send the same bytes.
  const body = JSON.stringify(payload) + "\n";
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

const unauthenticated = (message) => ({
  status: 401,
  payload: { errors: [{ message, extensions: { code: "UNAUTHENTICATED" } }], data: null },
  headers: { "www-authenticate": "Token" },
});

async function handle(store, req, res) {
  if (req.url === "/readyz") return send(res, 200, { status: "ready" });
  if (req.method !== "POST" || req.url !== "/graphql") return send(res, 404, { error: "not found" });
  const { operationName, variables = {} } = JSON.parse(await readBody(req));

  if (operationName === "ObtainToken") {
    const payload = await obtainToken(store, String(variables.username), String(variables.password));
    return send(res, 200, payload);
  }

  const auth = await authenticate(store, req.headers.authorization);
  if (auth.status) return send(res, auth.status, auth.payload, auth.headers);
  const user = auth.user;
  switch (operationName) {
    case "Me":
      return send(res, 200, { data: { me: user } });
    case "Students": {
      const limit = Number(variables.limit ?? 20);
      const offset = Number(variables.offset ?? 0);
      const [count, results] = await store.listStudents(limit, offset);
      return send(res, 200, { data: { students: { count, results: results.map(studentOut) } } });
    }
    case "Student": {
      const id = Number(variables.id);
      const row = Number.isSafeInteger(id) ? await store.getStudent(id) : undefined;
      return send(res, 200, { data: { student: row ? studentOut(row) : null } });
    }
    case "CreateStudent": {
      const { name, roll, city } = variables.input ?? {};
      try {
        const now = sqlDate(new Date());
        const row = await store.createStudent(String(name), Number(roll), String(city), now);
        return send(res, 200, { data: { createStudent: studentOut(row) } });
      } catch (e) {
        if (!/unique/i.test(String(e?.message))) throw e;
        const message = "student with this roll already exists.";
        return send(res, 200, {
          errors: [
            { message, path: ["createStudent"], extensions: { code: "BAD_USER_INPUT", fields: { roll: [message] } } },
          ],
          data: null,
        });
      }
    }
    default:
      return send(res, 400, { errors: [{ message: `baseline: unknown operation ${operationName}` }] });
  }
}

// ---- the product's rules, by hand ----

async function authenticate(store, header) {
  const match = /^(?:token|bearer) +([0-9a-f]{40})$/i.exec(header ?? "");
  if (!match) return unauthenticated("Invalid token.");
  const row = await store.tokenWithUser(createHash("sha256").update(match[1], "latin1").digest("hex"));
  if (!row) return unauthenticated("Invalid token.");
  const now = new Date();
  if (row.expiresAt && new Date(row.expiresAt) <= now) return unauthenticated("Token has expired.");
  if (!isTrue(row.isActive)) return unauthenticated("User inactive or deleted.");
  if (!row.lastUsedAt || now.getTime() - new Date(row.lastUsedAt).getTime() >= LAST_USED_RESOLUTION_MS) {
    store.touchToken(row.tokenId, sqlDate(now)).catch(() => undefined);
  }
  return { user: userOut(row) };
}

async function obtainToken(store, username, password) {
  const user = await store.userByUsername(username);
  const ok = user ? await verify(user.password, password).catch(() => false) : false;
  if (!ok || !isTrue(user.isActive)) {
    const message = "Unable to log in with provided credentials.";
    return {
      errors: [
        {
          message,
          path: ["obtainToken"],
          extensions: { code: "BAD_USER_INPUT", fields: { non_field_errors: [message] } },
        },
      ],
      data: null,
    };
  }
  const key = randomBytes(20).toString("hex");
  const digest = createHash("sha256").update(key, "latin1").digest("hex");
  const now = sqlDate(new Date());
  await Promise.all([
    store.insertToken(digest, key.slice(0, 8), "login", user.id, now),
    store.setLastLogin(user.id, now),
  ]);
  return {
    data: { obtainToken: { token: key, expiresAt: null, user: { id: String(user.id), username: user.username } } },
  };
}

const isTrue = (v) => v === true || v === 1;
const iso = (v) => (v === null || v === undefined ? null : new Date(v).toISOString());

function userOut(row) {
  return {
    id: String(row.id),
    username: row.username,
    email: row.email,
    isStaff: isTrue(row.isStaff),
    isActive: isTrue(row.isActive),
    dateJoined: iso(row.dateJoined),
    lastLogin: iso(row.lastLogin),
  };
}

const studentOut = (row) => ({ id: String(row.id), name: row.name, roll: row.roll, city: row.city });

// ---- stores ----

const TOKEN_WITH_USER = `SELECT t."id" AS "tokenId", t."expiresAt", t."lastUsedAt", u."id", u."username", u."email",
  u."isStaff", u."isActive", u."dateJoined", u."lastLogin"
  FROM "Token" t JOIN "User" u ON u."id" = t."userId" WHERE t."digest" = $1`;

async function sqliteStore(file) {
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(file, { timeout: 5000 });
  sqlDate = (d) => d.toISOString().replace("Z", "+00:00");
  const q = (sql) => db.prepare(sql.replace(/\$\d+/g, "?"));
  const tokenWithUser = q(TOKEN_WITH_USER);
  const touch = q(`UPDATE "Token" SET "lastUsedAt" = $1 WHERE "id" = $2`);
  const count = q(`SELECT COUNT(*) AS n FROM "Student"`);
  const page = q(`SELECT "id", "name", "roll", "city" FROM "Student" ORDER BY "id" LIMIT $1 OFFSET $2`);
  const one = q(`SELECT "id", "name", "roll", "city" FROM "Student" WHERE "id" = $1`);
  const create = q(`INSERT INTO "Student" ("name", "roll", "city", "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, $5)
    RETURNING "id", "name", "roll", "city"`);
  const byUsername = q(`SELECT "id", "username", "password", "isActive" FROM "User" WHERE "username" = $1`);
  const insertToken = q(
    `INSERT INTO "Token" ("digest", "prefix", "name", "userId", "createdAt") VALUES ($1, $2, $3, $4, $5)`,
  );
  const lastLogin = q(`UPDATE "User" SET "lastLogin" = $1 WHERE "id" = $2`);
  return {
    tokenWithUser: async (digest) => tokenWithUser.get(digest),
    touchToken: async (id, now) => touch.run(now, id),
    listStudents: async (limit, offset) => [count.get().n, page.all(limit, offset)],
    getStudent: async (id) => one.get(id),
    createStudent: async (name, roll, city, now) => create.get(name, roll, city, now, now),
    userByUsername: async (username) => byUsername.get(username),
    insertToken: async (...args) => insertToken.run(...args),
    setLastLogin: async (userId, now) => lastLogin.run(now, userId),
    close: async () => db.close(),
  };
}

async function pgStore(url) {
  const { default: pg } = await import("pg");
  // timestamp(3) without time zone holds UTC (Prisma's convention).
  pg.types.setTypeParser(1114, (s) => new Date(s.replace(" ", "T") + "Z"));
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // Named statements: each connection prepares them once.
  const q =
    (name, text) =>
    async (...values) =>
      (await pool.query({ name, text, values })).rows;
  const tokenWithUser = q("token_with_user", TOKEN_WITH_USER);
  const touch = q("touch", `UPDATE "Token" SET "lastUsedAt" = $1 WHERE "id" = $2`);
  const count = q("count", `SELECT COUNT(*)::int AS n FROM "Student"`);
  const page = q("page", `SELECT "id", "name", "roll", "city" FROM "Student" ORDER BY "id" LIMIT $1 OFFSET $2`);
  const one = q("one", `SELECT "id", "name", "roll", "city" FROM "Student" WHERE "id" = $1`);
  const create = q(
    "create",
    `INSERT INTO "Student" ("name", "roll", "city", "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, $5)
    RETURNING "id", "name", "roll", "city"`,
  );
  const byUsername = q(
    "by_username",
    `SELECT "id", "username", "password", "isActive" FROM "User" WHERE "username" = $1`,
  );
  const insertToken = q(
    "insert_token",
    `INSERT INTO "Token" ("digest", "prefix", "name", "userId", "createdAt") VALUES ($1, $2, $3, $4, $5)`,
  );
  const lastLogin = q("last_login", `UPDATE "User" SET "lastLogin" = $1 WHERE "id" = $2`);
  return {
    tokenWithUser: async (digest) => (await tokenWithUser(digest))[0],
    touchToken: (id, now) => touch(now, id),
    listStudents: async (limit, offset) => {
      const [[{ n }], rows] = await Promise.all([count(), page(limit, offset)]);
      return [n, rows];
    },
    getStudent: async (id) => (await one(id))[0],
    createStudent: async (name, roll, city, now) => (await create(name, roll, city, now, now))[0],
    userByUsername: async (username) => (await byUsername(username))[0],
    insertToken: (...args) => insertToken(...args),
    setLastLogin: (userId, now) => lastLogin(now, userId),
    close: () => pool.end(),
  };
}

// ---- start ----

async function main() {
  if (cluster.isPrimary && WORKERS > 1) {
    for (let i = 0; i < WORKERS; i++) cluster.fork();
    const stop = () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill("SIGTERM");
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    cluster.on("exit", () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  } else {
    const store = DATABASE_URL.startsWith("file:")
      ? await sqliteStore(DATABASE_URL.slice(5))
      : await pgStore(DATABASE_URL);
    const server = createServer((req, res) => {
      handle(store, req, res).catch((e) => send(res, 500, { errors: [{ message: String(e?.message ?? e) }] }));
    });
    server.keepAliveTimeout = 72_000;
    server.listen(PORT, HOST, () => console.log(`baseline listening on http://${HOST}:${PORT} (pid ${process.pid})`));
    const stop = () => server.close(() => store.close().then(() => process.exit(0)));
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  }
}

await main();
