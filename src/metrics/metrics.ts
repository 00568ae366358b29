import cluster from "node:cluster";
import { AggregatorRegistry, Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { ERRORS } from "../shared/errors";
import { askPrimary } from "./cluster";

// What the process counts for Prometheus (prom-client), grouped by the part of
// the app that reports it. Each group has the shape of the small interface its
// feature declares (accounts' LoginMetrics, auth's KeyMetrics, ...), so the
// features import nothing from here: app.ts hands each its group. The names
// and labels are listed in the README's Operations section.

/** Buckets for an API whose requests take 1 to 50 ms, with room for a login's argon2id hash and slow moments. */
const REQUEST_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];
/** A statement takes tens of microseconds (SQLite) to a few ms (PostgreSQL); the tail shows waits for locks. */
const STATEMENT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1];

/**
 * Operation names are chosen by clients: at most this many distinct ones per
 * process get a series of their own, the first ones seen; any other is
 * counted under OTHER_OPERATION. The app's own clients (the admin, the
 * examples) use a few dozen.
 */
export const MAX_OPERATION_NAMES = 100;
/** A GraphQL name, at most 64 characters: anything else is counted under OTHER_OPERATION. */
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;
/** An operation without a name. */
export const ANONYMOUS_OPERATION = "(anonymous)";
/** No operation was resolved: the request was refused before (body, syntax, validation, its key). */
export const UNKNOWN_OPERATION = "(unknown)";
/** A name past MAX_OPERATION_NAMES, or longer than 64 characters. */
export const OTHER_OPERATION = "(other)";

/** What a request's handling learned about it, for its series. */
export interface RequestFacts {
  /** query, mutation or subscription, once Apollo resolved the operation. */
  operationType?: string;
  operationName?: string | null;
  /** The first error's `extensions.code`, when the answer has errors. */
  errorCode?: string;
}

/** The codes this API answers with (shared/errors.ts): the only outcome values besides `ok`. */
const CODES: ReadonlySet<string> = new Set(Object.keys(ERRORS));
/** The code of a status when no error code was seen (a refusal before Apollo, or in its context function). */
const CODE_OF_STATUS = new Map<number, string>();
for (const [code, { status }] of Object.entries(ERRORS)) {
  if (status === 200 || status === 400) continue; // shared by several codes; 400 is BAD_REQUEST below
  CODE_OF_STATUS.set(status, code);
}

function outcomeOf(errorCode: string | undefined, status: number): string {
  if (errorCode !== undefined && CODES.has(errorCode)) return errorCode;
  if (status < 400) return "ok";
  return CODE_OF_STATUS.get(status) ?? (status < 500 ? "BAD_REQUEST" : "INTERNAL_SERVER_ERROR");
}

/** The series of one (type, operation) pair: its latency, and its counts by status and outcome. */
class OperationSeries {
  private readonly counts = new Map<number, Map<string, Counter.Internal>>();
  readonly duration: Histogram.Internal<string>;

  constructor(
    private readonly requests: Counter<string>,
    private readonly type: string,
    private readonly operation: string,
    duration: Histogram<string>,
  ) {
    this.duration = duration.labels(type, operation);
  }

  counter(status: number, outcome: string): Counter.Internal {
    let byOutcome = this.counts.get(status);
    if (!byOutcome) this.counts.set(status, (byOutcome = new Map<string, Counter.Internal>()));
    let counter = byOutcome.get(outcome);
    if (!counter)
      byOutcome.set(outcome, (counter = this.requests.labels(this.type, this.operation, outcome, String(status))));
    return counter;
  }
}

/** GraphQL requests by operation type, operation name, outcome and HTTP status, and their latency. */
export class RequestMetrics {
  private readonly requests: Counter<string>;
  private readonly duration: Histogram<string>;
  /** type -> the name a request carried -> its series (names past the bound are not kept here). */
  private readonly series = new Map<string, Map<string, OperationSeries>>();
  private readonly names = new Set<string>();

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: "graphql_requests_total",
      help: "GraphQL requests (POST and GET /graphql) by operation type and name, outcome (ok or the error code) and HTTP status.",
      labelNames: ["type", "operation", "outcome", "status"],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: "graphql_request_duration_seconds",
      help: "Time from a GraphQL request's arrival to its answer, by operation type and name.",
      labelNames: ["type", "operation"],
      buckets: REQUEST_BUCKETS,
      registers: [registry],
    });
  }

  /** One answered request: a few map lookups, a counter increment and a histogram observation. */
  record(facts: RequestFacts, status: number, seconds: number): void {
    const series = this.seriesOf(facts.operationType ?? "unknown", facts.operationName);
    series.counter(status, outcomeOf(facts.errorCode, status)).inc();
    series.duration.observe(seconds);
  }

  private seriesOf(type: string, name: string | null | undefined): OperationSeries {
    let byName = this.series.get(type);
    if (!byName) this.series.set(type, (byName = new Map<string, OperationSeries>()));
    const key = name ?? "";
    const known = byName.get(key);
    if (known) return known;
    const label = type === "unknown" ? UNKNOWN_OPERATION : key === "" ? ANONYMOUS_OPERATION : this.bounded(key);
    let series = byName.get(label);
    if (!series) byName.set(label, (series = new OperationSeries(this.requests, type, label, this.duration)));
    // A name past the bound is not kept under its own key, so the map stays
    // bounded whatever names clients send; it is looked up again each time.
    if (key === "") byName.set(key, series);
    return series;
  }

  private bounded(name: string): string {
    if (this.names.has(name)) return name;
    if (!OPERATION_NAME.test(name) || this.names.size >= MAX_OPERATION_NAMES) return OTHER_OPERATION;
    this.names.add(name);
    return name;
  }
}

export type PasswordCheckResult = "accepted" | "refused" | "throttled";

/** Password checks (obtainToken, changePassword's old password) by result. */
export class LoginMetrics {
  private readonly results: Record<PasswordCheckResult, Counter.Internal>;
  private readonly waits: Counter;

  constructor(registry: Registry) {
    const checks = new Counter({
      name: "auth_password_checks_total",
      help: "Password checks (obtainToken, changePassword's old password) by result: accepted, refused (wrong password, unknown user, input too long), throttled (LOGIN_RATE spent, not checked).",
      labelNames: ["result"],
      registers: [registry],
    });
    this.results = {
      accepted: checks.labels("accepted"),
      refused: checks.labels("refused"),
      throttled: checks.labels("throttled"),
    };
    // Each series exported at 0 before its first event: a rate() over a series
    // that appears only later misses that first event, and alerts on an absent one.
    for (const result of Object.values(this.results)) result.inc(0);
    this.waits = new Counter({
      name: "auth_password_check_waits_total",
      help: "Password checks that found LOGIN_RATE's points held by checks in progress and waited for them (up to LOGIN_QUEUE_TIMEOUT) before being decided.",
      registers: [registry],
    });
  }

  checkWaited(): void {
    this.waits.inc();
  }

  passwordChecked(result: PasswordCheckResult): void {
    this.results[result].inc();
  }
}

/** Keys issued and revoked. */
export class KeyMetrics {
  private readonly issued: Counter;
  private readonly revoked: Counter;

  constructor(registry: Registry) {
    this.issued = new Counter({
      name: "auth_keys_issued_total",
      help: "Keys issued: logins, sign-ups, new users, changePassword, staff's createToken, the manage command.",
      registers: [registry],
    });
    this.revoked = new Counter({
      name: "auth_keys_revoked_total",
      help: "Keys revoked: revokeToken, revokeAllTokens, a password change or reset, create-token --reset (not keys deleted with their user).",
      registers: [registry],
    });
  }

  keysIssued(count: number): void {
    if (count > 0) this.issued.inc(count);
  }

  keysRevoked(count: number): void {
    if (count > 0) this.revoked.inc(count);
  }
}

/** The rate-limit store's failures, and the points counted on this process's own counters instead. */
export class RateLimitMetrics {
  private readonly errors: Counter;
  private readonly fallbacks: Counter;

  constructor(registry: Registry) {
    this.errors = new Counter({
      name: "rate_limit_store_errors_total",
      help: "Errors of the rate-limit store (REDIS_URL: each failed or lost connection to Redis, each command that failed or timed out).",
      registers: [registry],
    });
    this.fallbacks = new Counter({
      name: "rate_limit_fallbacks_total",
      help: "USER_RATE points taken on this process's own counters because the store (Redis) did not answer.",
      registers: [registry],
    });
  }

  storeError(): void {
    this.errors.inc();
  }

  fallback(): void {
    this.fallbacks.inc();
  }
}

export type StatementKind = "select" | "insert" | "update" | "delete" | "other";

/** Time of the statements sent to the database, by kind. */
export class DatabaseMetrics {
  private readonly kinds: Record<StatementKind, Histogram.Internal<string>>;

  constructor(registry: Registry) {
    const duration = new Histogram({
      name: "db_statement_duration_seconds",
      help: "Time of a statement sent to the database, from sending to its result (a SQLite lock waited for included), by kind.",
      labelNames: ["kind"],
      buckets: STATEMENT_BUCKETS,
      registers: [registry],
    });
    this.kinds = {
      select: duration.labels("select"),
      insert: duration.labels("insert"),
      update: duration.labels("update"),
      delete: duration.labels("delete"),
      other: duration.labels("other"),
    };
    for (const kind of Object.keys(this.kinds)) duration.zero({ kind });
  }

  observeStatement(kind: StatementKind, seconds: number): void {
    this.kinds[kind].observe(seconds);
  }
}

export interface Metrics {
  requests: RequestMetrics;
  logins: LoginMetrics;
  keys: KeyMetrics;
  rateLimits: RateLimitMetrics;
  database: DatabaseMetrics;
  /**
   * What GET /metrics answers, in Prometheus's text format: this process's
   * figures, or in a cluster worker the sum over every worker (from the primary).
   */
  scrape(): Promise<string>;
  /** The Content-Type of scrape()'s text. */
  contentType: string;
}

/**
 * A registry of this process's metrics, with prom-client's default process
 * and Node.js metrics (CPU, memory, heap, GC, event-loop lag). In a cluster
 * worker it is the registry the primary's aggregator asks for, and a scrape
 * answers the sum of every worker's figures (see ./cluster.ts).
 */
export function createMetrics(): Metrics {
  let registry: Registry;
  let scrape: () => Promise<string>;
  if (cluster.isWorker) {
    // Constructing an AggregatorRegistry in a worker is what makes it answer the primary's requests.
    registry = new AggregatorRegistry();
    AggregatorRegistry.setRegistries([registry]);
    scrape = askPrimary();
  } else {
    registry = new Registry();
    scrape = () => registry.metrics();
  }
  collectDefaultMetrics({ register: registry });
  return {
    requests: new RequestMetrics(registry),
    logins: new LoginMetrics(registry),
    keys: new KeyMetrics(registry),
    rateLimits: new RateLimitMetrics(registry),
    database: new DatabaseMetrics(registry),
    scrape,
    contentType: registry.contentType,
  };
}
