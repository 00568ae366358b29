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
  .transform((v) => (v ?? "").split(",").map((s) => s.trim()).filter(Boolean));

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
  TRUST_PROXY: bool(false),
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

export interface Config extends Omit<Parsed, "DATABASE_URL" | "LOGIN_RATE" | "REGISTER_RATE" | "SHUTDOWN_TIMEOUT"> {
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
    production: c.NODE_ENV === "production",
  };
}
