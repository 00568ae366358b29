import type { ContainerType } from "type-graphql";
import { AccountResolver } from "./accounts/account.resolver";
import { AccountService } from "./accounts/account.service";
import { AuditResolver } from "./audit/audit.resolver";
import { AuditService } from "./audit/audit.service";
import { AuditTrail, type AuditLog } from "./audit/audit-trail";
import { LoginThrottle } from "./throttling/login-throttle";
import { RegisterThrottle } from "./throttling/register-throttle";
import { TokenResolver } from "./auth/token.resolver";
import { TokenService } from "./auth/token.service";
import { UserThrottle } from "./throttling/user-throttle";
import type { Logger } from "pino";
import type { Config } from "./config/config";
import { openDatabase, type DatabaseHandle } from "./db/database";
import type { Metrics } from "./metrics/metrics";
import { createLimiterStore, describeStore, type LimiterStore } from "./throttling/rate-limiter";
import { StudentResolver } from "./students/student.resolver";
import { StudentService } from "./students/student.service";
import { UserResolver } from "./users/user.resolver";
import { UserService } from "./users/user.service";

// The composition root: one database handle, one instance of each service
// and of each resolver per app, wired by hand. The GraphQL layer, the manage
// command and the tests all start here.

export interface Services {
  accounts: AccountService;
  tokens: TokenService;
  users: UserService;
  students: StudentService;
  /** Reads the audit trail. */
  auditEvents: AuditService;
}

export interface App {
  config: Config;
  db: DatabaseHandle;
  services: Services;
  /** What type-graphql asks for each resolver class: this app's instance. */
  resolvers: ContainerType;
  /** The audit trail's writer: flush() writes what is buffered (tests call it rather than sleeping). */
  audit: AuditTrail;
  /** USER_RATE's counter for authenticated requests; null when it is off (the default). */
  userThrottle: UserThrottle | null;
  /** The figures GET /metrics serves; null unless METRICS is set. */
  metrics: Metrics | null;
  /** Where the limits' counters live. */
  limits: LimiterStore["kind"];
  /** Waits for the limits' store (Redis's first answer); false when it did not come in time. */
  limitsReady(): Promise<boolean>;
  /** Where the limits are counted at this moment, for the start-up line. */
  limitsNow(): string;
  close(): Promise<void>;
}

export interface AppOptions {
  /** The clock keys are issued and expire by; tests set it to move time on. */
  now?: () => Date;
  /** Where an outage of the database or of Redis, a failed audit write or a prune is told; without one, stderr (manage). */
  logger?: Pick<Logger, "error" | "warn" | "info">;
  /** The actor of audit events recorded outside a request: `manage <command>`. */
  actor?: string;
}

/** prom-client costs about 0.1 s of CPU to load: only a process with METRICS set loads it. */
function loadMetrics(): typeof import("./metrics/metrics") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when METRICS is set
  return require("./metrics/metrics") as typeof import("./metrics/metrics");
}

export function createApp(config: Config, options: AppOptions = {}): App {
  // Each feature is handed its own part of the metrics, when they are on.
  const metrics = config.METRICS.mode === "off" ? null : loadMetrics().createMetrics();
  const db = openDatabase(config.DATABASE_URL, {
    timeoutSeconds: config.DATABASE_TIMEOUT,
    statements: metrics?.database,
    onOutage: (down, reason) =>
      down
        ? options.logger?.warn(`database: not answering (${reason}); requests get 503 until it does`)
        : options.logger?.info("database: answering again"),
  });
  const store = createLimiterStore(config, db.kysely, metrics?.rateLimits, options.logger);
  const audit = new AuditTrail(db.kysely, {
    log: auditLog(options.logger),
    defaultActor: options.actor,
  });
  const tokens = new TokenService(db, {
    ttlSeconds: config.TOKEN_TTL,
    now: options.now,
    limitPerUser: config.TOKEN_LIMIT_PER_USER,
    metrics: metrics?.keys,
    audit,
  });
  const users = new UserService(db, audit);
  const throttle = new LoginThrottle(store.limiters, {
    rate: config.LOGIN_RATE,
    successRate: config.LOGIN_SUCCESS_RATE,
    queueTimeoutMs: config.LOGIN_QUEUE_TIMEOUT * 1000,
  });
  const registerThrottle = new RegisterThrottle(store.limiters, config.REGISTER_RATE);
  const accounts = new AccountService(
    db,
    users,
    tokens,
    { login: throttle, register: registerThrottle },
    { allowRegistration: config.ALLOW_REGISTRATION, metrics: metrics?.logins, audit },
  );
  const students = new StudentService(db);
  const auditEvents = new AuditService(db.kysely);
  const instances = new Map<unknown, unknown>([
    [AccountResolver, new AccountResolver(accounts)],
    [TokenResolver, new TokenResolver(tokens)],
    [StudentResolver, new StudentResolver(students)],
    [UserResolver, new UserResolver(users)],
    [AuditResolver, new AuditResolver(auditEvents)],
  ]);
  return {
    config,
    db,
    services: { accounts, tokens, users, students, auditEvents },
    audit,
    resolvers: {
      get(resolverClass: unknown) {
        const instance = instances.get(resolverClass);
        if (!instance) throw new Error(`no instance of resolver ${String(resolverClass)} in this app`);
        return instance;
      },
    },
    userThrottle: config.USER_RATE ? new UserThrottle(store.limiters, config.USER_RATE) : null,
    metrics,
    limits: store.kind,
    limitsReady: () => store.ready(),
    limitsNow: () => describeStore(store),
    async close() {
      users.failedLoginFloor.close();
      await Promise.all([tokens.settle(), audit.close()]);
      await Promise.allSettled([store.close(), db.close()]);
    },
  };
}

/** The audit trail's reports, as log lines (one per failed write), or on stderr without a logger. */
function auditLog(logger: AppOptions["logger"]): AuditLog {
  const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").trim();
  return {
    writeFailed(error, lost) {
      const line = `audit: ${lost} event${lost === 1 ? "" : "s"} not written: ${message(error)}`;
      if (logger) logger.error({ lost }, line);
      else console.error(line);
    },
    pruned(deleted, before) {
      if (deleted > 0)
        logger?.info(
          { deleted, before },
          `audit: pruned ${deleted} event${deleted === 1 ? "" : "s"} older than AUDIT_RETENTION`,
        );
    },
    pruneFailed(error) {
      const line = `audit: pruning failed: ${message(error)}`;
      if (logger) logger.error(line);
      else console.error(line);
    },
  };
}
