import { isIP } from "node:net";
import { z } from "zod";
import { databaseFromUrl } from "../db/database-url";
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

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: parsed(databaseFromUrl, undefined),
  // Blank means the default, as for every other variable.
  HOST: z
    .string()
    .optional()
    .transform((v) => v?.trim() || "127.0.0.1"),
  PORT: int(4000, 0, 65535),
  TOKEN_TTL: parsed(parseDuration, undefined),
  ALLOW_REGISTRATION: bool(true),
  LOGIN_RATE: parsed(parseRate, "5/min"),
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
  // false: migrations run once per deployment (`manage migrate`), not in every process.
  MIGRATE_ON_START: bool(true),
  CORS_ORIGINS: list,
  TRUST_PROXY: parsed(parseTrustProxy, "false"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  BODY_LIMIT: int(1024 * 1024, 1024, 64 * 1024 * 1024),
  MAX_DEPTH: int(8, 1, 100),
  MAX_ALIASES: int(15, 0, 1000),
  MAX_DIRECTIVES: int(50, 0, 1000),
  MAX_TOKENS: int(1000, 10, 100000),
  MAX_COST: int(5000, 1, 1000000),
  SHUTDOWN_TIMEOUT: parsed(parseDuration, "10s"),
});

type Parsed = z.infer<typeof schema>;

export interface Config extends Omit<
  Parsed,
  "DATABASE_URL" | "LOGIN_RATE" | "REGISTER_RATE" | "SHUTDOWN_TIMEOUT" | "TRUST_PROXY"
> {
  TRUST_PROXY: TrustProxy;
  DATABASE_URL: NonNullable<Parsed["DATABASE_URL"]>;
  LOGIN_RATE: NonNullable<Parsed["LOGIN_RATE"]>;
  REGISTER_RATE: NonNullable<Parsed["REGISTER_RATE"]>;
  SHUTDOWN_TIMEOUT: number;
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
  return {
    ...c,
    DATABASE_URL: c.DATABASE_URL ?? databaseFromUrl(undefined),
    LOGIN_RATE: c.LOGIN_RATE!,
    REGISTER_RATE: c.REGISTER_RATE!,
    SHUTDOWN_TIMEOUT: c.SHUTDOWN_TIMEOUT!,
    TRUST_PROXY: c.TRUST_PROXY ?? false,
    production: c.NODE_ENV === "production",
  };
}
