import { isIP } from "node:net";
import { z } from "zod";
import { type Database, databaseFromUrl } from "../db/database-url";
import { parseDuration, parseRate, quote } from "./duration";

// Every setting, read and validated once. A bad value stops the process with
// one line naming the variable (see loadConfig).

const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return fallback;
      const s = v.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(s)) return true;
      if (["0", "false", "no", "off"].includes(s)) return false;
      ctx.addIssue({ code: "custom", message: `${quote(v)} is not a boolean (true or false)` });
      return z.NEVER;
    });

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return fallback;
      const n = Number(v.trim());
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `${quote(v)} is not a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const parsed = <T>(parse: (s: string) => T, fallback: string | undefined) =>
  z
    .string()
    .optional()
    .transform((v, ctx): T | undefined => {
      const text = v === undefined || v.trim() === "" ? fallback : v;
      if (text === undefined) return undefined;
      try {
        return parse(text);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: (e as Error).message.replace(/^DATABASE_URL: /, "") });
        return z.NEVER;
      }
    });

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );

/** proxy-addr's names for address ranges, accepted in TRUST_PROXY's list as Fastify passes them on. */
const PROXY_RANGE_NAMES = new Set(["loopback", "linklocal", "uniquelocal"]);

/** One TRUST_PROXY list entry: an IPv4 or IPv6 address, with an optional /prefix; throws with a clear line. */
function proxyAddress(entry: string): string {
  if (PROXY_RANGE_NAMES.has(entry.toLowerCase())) return entry.toLowerCase();
  const [address = "", prefix, ...rest] = entry.split("/");
  const family = isIP(address);
  const bits = family === 4 ? 32 : 128;
  if (
    family === 0 ||
    rest.length > 0 ||
    (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits))
  ) {
    throw new Error(`${quote(entry)} is not an IP address or CIDR range (like 10.0.0.1, 10.0.0.0/8 or fd00::/8)`);
  }
  return entry;
}

/**
 * TRUST_PROXY: off, a number of proxy hops, or the proxies' addresses. A bare
 * `true` (trust every hop) is refused: the client could then pick its own
 * address by writing the left-most X-Forwarded-For entry.
 */
export type TrustProxy = false | number | string[];

export function parseTrustProxy(text: string): TrustProxy {
  const s = text.trim();
  if (s === "" || /^(false|no|off)$/i.test(s)) return false;
  if (/^(true|yes|on)$/i.test(s)) {
    throw new Error(
      `${quote(text)} would believe any X-Forwarded-For a client writes; give the number of proxies in front of the server (like 1) or their addresses (like 10.0.0.0/8)`,
    );
  }
  if (/^\d+$/.test(s)) {
    const hops = Number(s);
    if (hops > 100) throw new Error(`${quote(text)} is not a number of proxy hops from 0 to 100`);
    return hops === 0 ? false : hops;
  }
  return s.split(",").map((entry) => proxyAddress(entry.trim()));
}

/**
 * METRICS: where GET /metrics is served. Off by default; `port:` gives it a
 * listener of its own (loopback unless a host is named), `bearer` serves it on
 * the public port, only to a request carrying METRICS_TOKEN. Never on the
 * public port without a secret.
 */
export type MetricsSetting = { mode: "off" } | { mode: "port"; host: string; port: number } | { mode: "bearer" };

export function parseMetrics(text: string): MetricsSetting {
  const s = text.trim();
  if (s === "" || /^(off|false|no|0)$/i.test(s)) return { mode: "off" };
  if (/^bearer$/i.test(s)) return { mode: "bearer" };
  const match = /^port:(?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(s);
  const host = match?.[1]?.replace(/^\[(.*)\]$/, "$1") ?? "127.0.0.1";
  const port = Number(match?.[2]);
  if (!match || port > 65535 || (match[1]?.startsWith("[") && isIP(host) !== 6)) {
    throw new Error(
      `${quote(text)} is not off, bearer, port:PORT or port:HOST:PORT (like port:9464 or port:0.0.0.0:9464)`,
    );
  }
  return { mode: "port", host, port };
}

/** RFC 6750's token characters; long enough that guessing is hopeless. */
const METRICS_TOKEN_PATTERN = /^[A-Za-z0-9\-._~+/]{16,256}={0,2}$/;

/** Problems between METRICS and the other settings, as "VARIABLE: message" lines. */
function metricsProblems(c: {
  METRICS?: MetricsSetting;
  METRICS_TOKEN?: string;
  HOST: string;
  PORT: number;
}): string[] {
  const m = c.METRICS;
  if (m?.mode === "bearer" && c.METRICS_TOKEN === undefined) {
    return [
      "METRICS: bearer serves /metrics on the public port, and needs METRICS_TOKEN (the secret a scraper sends as Authorization: Bearer <secret>)",
    ];
  }
  if (m?.mode === "port" && m.port !== 0 && m.port === c.PORT && m.host === c.HOST) {
    return [`METRICS: port ${m.port} on ${m.host} is the public port (HOST, PORT); /metrics needs a port of its own`];
  }
  return [];
}

/** DIRECT_DATABASE_URL: PostgreSQL only, read like DATABASE_URL. */
function directDatabase(text: string): Database {
  const database = databaseFromUrl(text);
  if (database.provider !== "postgresql") {
    throw new Error("is for PostgreSQL behind a pooler: give a postgresql:// URL (SQLite needs none)");
  }
  return database;
}

/** A duration (parseDuration's forms) of at most an hour: socket timers overflow far beyond, and no client needs more. */
function upToAnHour(text: string): number {
  const seconds = parseDuration(text);
  if (seconds > 3600) throw new Error(`${quote(text)} is longer than an hour`);
  return seconds;
}

/**
 * REDIS_TIMEOUT: milliseconds (`500ms`) or whole seconds (`2s`), from 10 ms to
 * 60 s: below, a healthy Redis across a network could miss it; above, every
 * login would wait that long on a Redis that stopped answering.
 */
export function parseRedisTimeout(text: string): number {
  const match = /^([1-9][0-9]{0,5})(ms|s)$/.exec(text.trim());
  const ms = match ? Number(match[1]) * (match[2] === "s" ? 1000 : 1) : NaN;
  if (!(ms >= 10 && ms <= 60_000)) throw new Error(`${quote(text)} is not a time from 10ms to 60s (like 500ms or 2s)`);
  return ms;
}

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: parsed(databaseFromUrl, undefined),
  // Migrations connect here when set, while serving goes through DATABASE_URL (e.g. PgBouncer).
  DIRECT_DATABASE_URL: parsed(directDatabase, undefined),
  // How long migrations wait for the migration lock another process holds.
  MIGRATION_LOCK_TIMEOUT: parsed(parseDuration, "60s"),
  // The most a request waits on the database: SQLite's write lock held by
  // another process, a PostgreSQL connection or statement; then 503.
  DATABASE_TIMEOUT: parsed(upToAnHour, "5s"),
  // Blank means the default, as for every other variable.
  HOST: z
    .string()
    .optional()
    .transform((v) => v?.trim() || "127.0.0.1"),
  PORT: int(4000, 0, 65535),
  TOKEN_TTL: parsed(parseDuration, undefined),
  ALLOW_REGISTRATION: bool(true),
  LOGIN_RATE: parsed(parseRate, "5/min"),
  // How long a password check waits for checks in progress to give LOGIN_RATE's points back.
  LOGIN_QUEUE_TIMEOUT: parsed(parseDuration, "10s"),
  // Successful logins per username and address together: far above what a person does.
  LOGIN_SUCCESS_RATE: parsed(parseRate, "60/min"),
  // Live (unexpired) keys a user may hold before a login is refused: django-rest-knox's TOKEN_LIMIT_PER_USER.
  TOKEN_LIMIT_PER_USER: int(100, 1, 1_000_000),
  REGISTER_RATE: parsed(parseRate, "20/hour"),
  USER_RATE: parsed(parseRate, undefined),
  WEB_CONCURRENCY: int(1, 1, 64),
  REDIS_URL: z
    .string()
    .optional()
    .transform((v) => (v && v.trim() !== "" ? v.trim() : undefined))
    .refine((v) => v === undefined || /^rediss?:\/\//.test(v), "must start with redis:// or rediss://"),
  // Start of every Redis key, so deployments (or test runs) can share one Redis.
  REDIS_PREFIX: z.string().trim().max(100).default("drf-token-graphql:"),
  // The most any request waits on one Redis command (see src/throttling/redis-store.ts).
  REDIS_TIMEOUT: parsed(parseRedisTimeout, "500ms"),
  // false: migrations run once per deployment (`manage migrate`), not in every process.
  MIGRATE_ON_START: bool(true),
  CORS_ORIGINS: list,
  TRUST_PROXY: parsed(parseTrustProxy, "false"),
  // Per-address limits count an IPv6 client by its network of this many bits.
  IPV6_PREFIX: int(64, 0, 128),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  BODY_LIMIT: int(1024 * 1024, 1024, 64 * 1024 * 1024),
  MAX_DEPTH: int(8, 1, 100),
  MAX_ALIASES: int(15, 0, 1000),
  MAX_DIRECTIVES: int(50, 0, 1000),
  MAX_TOKENS: int(1000, 10, 100000),
  MAX_COST: int(5000, 1, 1000000),
  SHUTDOWN_TIMEOUT: parsed(parseDuration, "10s"),
  METRICS: parsed(parseMetrics, "off"),
  // The message never repeats the value: it is a secret.
  METRICS_TOKEN: z
    .string()
    .optional()
    .transform((v) => (v && v.trim() !== "" ? v.trim() : undefined))
    .refine(
      (v) => v === undefined || METRICS_TOKEN_PATTERN.test(v),
      "must be 16 to 256 characters of A-Z a-z 0-9 - . _ ~ + / (like the output of `openssl rand -hex 32`)",
    ),
  // Slow clients: the most a whole request (headers and body) may take to
  // arrive, and the most a connection may stay idle between requests.
  // How long the audit trail keeps an event; the server prunes older ones.
  AUDIT_RETENTION: parsed(parseDuration, "90d"),
  REQUEST_TIMEOUT: parsed(upToAnHour, "30s"),
  KEEP_ALIVE_TIMEOUT: parsed(upToAnHour, "72s"),
});

type Parsed = z.infer<typeof schema>;

export interface Config extends Omit<
  Parsed,
  | "DATABASE_URL"
  | "LOGIN_RATE"
  | "LOGIN_QUEUE_TIMEOUT"
  | "LOGIN_SUCCESS_RATE"
  | "REGISTER_RATE"
  | "SHUTDOWN_TIMEOUT"
  | "TRUST_PROXY"
  | "METRICS"
  | "MIGRATION_LOCK_TIMEOUT"
  | "DATABASE_TIMEOUT"
  | "REQUEST_TIMEOUT"
  | "KEEP_ALIVE_TIMEOUT"
  | "AUDIT_RETENTION"
  | "REDIS_TIMEOUT"
> {
  METRICS: MetricsSetting;
  TRUST_PROXY: TrustProxy;
  DATABASE_URL: NonNullable<Parsed["DATABASE_URL"]>;
  LOGIN_RATE: NonNullable<Parsed["LOGIN_RATE"]>;
  /** Seconds. */
  LOGIN_QUEUE_TIMEOUT: number;
  LOGIN_SUCCESS_RATE: NonNullable<Parsed["LOGIN_SUCCESS_RATE"]>;
  REGISTER_RATE: NonNullable<Parsed["REGISTER_RATE"]>;
  SHUTDOWN_TIMEOUT: number;
  /** Seconds. */
  MIGRATION_LOCK_TIMEOUT: number;
  /** Seconds. */
  DATABASE_TIMEOUT: number;
  /** Seconds. */
  REQUEST_TIMEOUT: number;
  /** Seconds. */
  KEEP_ALIVE_TIMEOUT: number;
  /** Seconds. */
  AUDIT_RETENTION: number;
  /** Milliseconds. */
  REDIS_TIMEOUT: number;
  production: boolean;
}

export class ConfigError extends Error {}

/** Validates the environment; throws ConfigError with one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`);
    throw new ConfigError(lines.join("\n"));
  }
  const c = result.data;
  const problems = metricsProblems(c);
  if (problems.length > 0) throw new ConfigError(problems.join("\n"));
  if (c.DIRECT_DATABASE_URL && c.DATABASE_URL?.provider !== "postgresql") {
    throw new ConfigError(
      "DIRECT_DATABASE_URL: is set but DATABASE_URL is not a PostgreSQL URL (a direct URL only goes beside one)",
    );
  }
  return {
    ...c,
    DATABASE_URL: c.DATABASE_URL ?? databaseFromUrl(undefined),
    LOGIN_RATE: c.LOGIN_RATE!,
    LOGIN_QUEUE_TIMEOUT: c.LOGIN_QUEUE_TIMEOUT!,
    LOGIN_SUCCESS_RATE: c.LOGIN_SUCCESS_RATE!,
    REGISTER_RATE: c.REGISTER_RATE!,
    SHUTDOWN_TIMEOUT: c.SHUTDOWN_TIMEOUT!,
    MIGRATION_LOCK_TIMEOUT: c.MIGRATION_LOCK_TIMEOUT!,
    DATABASE_TIMEOUT: c.DATABASE_TIMEOUT!,
    REQUEST_TIMEOUT: c.REQUEST_TIMEOUT!,
    KEEP_ALIVE_TIMEOUT: c.KEEP_ALIVE_TIMEOUT!,
    AUDIT_RETENTION: c.AUDIT_RETENTION!,
    REDIS_TIMEOUT: c.REDIS_TIMEOUT!,
    TRUST_PROXY: c.TRUST_PROXY ?? false,
    METRICS: c.METRICS ?? { mode: "off" },
    production: c.NODE_ENV === "production",
  };
}
