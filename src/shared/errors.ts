import { GraphQLError } from "graphql";

// Every failure a client can meet, in one table: its code, what it does to
// the HTTP response, and DRF's wording. Code anywhere raises the classes
// below (or an ApiError with its code) and never sets a status, a header or
// a body itself: graphql/error-shape.ts turns the table into responses, for
// GraphQL's answers and for the HTTP layer's refusals before GraphQL runs.
// Apollo's own refusals of a request carry the status Apollo gives them,
// which the rows of its codes repeat; one differs and stays Apollo's: a
// mutation over GET is a BAD_REQUEST answered 405 with `Allow: POST`.

/**
 * What an error of this code raised while an operation runs does to the response:
 * - "field": it is its field's error, as the contract's NOT_FOUND and BAD_USER_INPUT:
 *   the response is 200 and keeps `data`, even a `data: null`.
 * - "operation": it refuses the operation when nothing of it came through
 *   (`data: null`): `status` and `headers`, and no `data` entry; next to data, 200.
 * - "response": it refuses the whole response wherever it is raised, next to
 *   data or not: `status` and `headers`, and no `data` entry.
 * Raised before the operation runs (a refused document or variables, the
 * context function, an HTTP-level refusal), every error refuses the response
 * with its `status` and `headers`.
 */
export type ErrorScope = "field" | "operation" | "response";

export interface ErrorRule {
  /** The status of a response this error refuses. */
  readonly status: number;
  /** Headers sent with that status, from the error's extensions. */
  readonly headers?: (extensions: Readonly<Record<string, unknown>>) => Record<string, string>;
  readonly scope: ErrorScope;
}

const retryAfter = (extensions: Readonly<Record<string, unknown>>): Record<string, string> =>
  typeof extensions.retryAfter === "number" ? { "retry-after": String(extensions.retryAfter) } : {};

/** Every code this API answers with. Adding a code is one row here (and a class below to raise it). */
const TABLE = {
  // The contract's GraphQL errors.
  UNAUTHENTICATED: { status: 401, headers: () => ({ "www-authenticate": "Token" }), scope: "operation" },
  FORBIDDEN: { status: 403, scope: "operation" },
  // 404 only for a path with no route: in GraphQL it is always a field's error.
  NOT_FOUND: { status: 404, scope: "field" },
  // 400 for variables that do not coerce (nothing ran); a field's error once running.
  BAD_USER_INPUT: { status: 400, scope: "field" },
  TOO_MANY_REQUESTS: { status: 429, headers: retryAfter, scope: "operation" },
  // Refusals of a document before it runs (Apollo's own codes, and the limits').
  GRAPHQL_PARSE_FAILED: { status: 400, scope: "operation" },
  GRAPHQL_VALIDATION_FAILED: { status: 400, scope: "operation" },
  // 200, as Apollo answers it: a client that tried a persisted query falls back to sending the query.
  PERSISTED_QUERY_NOT_SUPPORTED: { status: 200, scope: "operation" },
  OPERATION_RESOLUTION_FAILURE: { status: 400, scope: "operation" },
  BAD_REQUEST: { status: 400, scope: "operation" },
  // HTTP-level refusals, before GraphQL sees the request.
  METHOD_NOT_ALLOWED: { status: 405, scope: "operation" },
  REQUEST_TIMEOUT: { status: 408, scope: "operation" },
  PAYLOAD_TOO_LARGE: { status: 413, scope: "operation" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, scope: "operation" },
  REQUEST_HEADER_FIELDS_TOO_LARGE: { status: 431, scope: "operation" },
  // Ours, never the client's. A bug in one resolver costs only its field.
  INTERNAL_SERVER_ERROR: { status: 500, scope: "field" },
  SERVICE_UNAVAILABLE: { status: 503, headers: retryAfter, scope: "response" },
} as const satisfies Record<string, ErrorRule>;

export type ErrorCode = keyof typeof TABLE;

export const ERRORS: Readonly<Record<ErrorCode, ErrorRule>> = TABLE;

/** The rule of a code; an unknown one (a GraphQLError raised without ours) is internal. */
export function ruleOf(code: unknown): ErrorRule {
  return typeof code === "string" && Object.hasOwn(ERRORS, code)
    ? ERRORS[code as ErrorCode]
    : ERRORS.INTERNAL_SERVER_ERROR;
}

const CONTRACT_CODES: ReadonlySet<string> = new Set([
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "BAD_USER_INPUT",
  "TOO_MANY_REQUESTS",
] satisfies ErrorCode[]);

/** The contract's own answers: a stack trace says nothing useful about them, even in development. */
export function isContractCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && CONTRACT_CODES.has(code);
}

export const MESSAGES = {
  // The contract's, in DRF's words.
  notAuthenticated: "Authentication credentials were not provided.",
  noCredentials: "Invalid token header. No credentials provided.",
  spaces: "Invalid token header. Token string should not contain spaces.",
  invalidCharacters: "Invalid token header. Token string should not contain invalid characters.",
  invalidToken: "Invalid token.",
  expired: "Token has expired.",
  inactive: "User inactive or deleted.",
  badCredentials: "Unable to log in with provided credentials.",
  forbidden: "You do not have permission to perform this action.",
  notFound: "Not found.",
  registrationClosed: "Registration is closed.",
  // django-rest-knox's, when TOKEN_LIMIT_PER_USER is reached.
  tokenLimit: "Maximum amount of tokens allowed per user exceeded.",
  invalidInput: "Invalid input.",
  throttled: (seconds: number) => `Request was throttled. Expected available in ${seconds} seconds.`,
  // Field rules, in DRF's and Django's words.
  blank: "This field may not be blank.",
  notNull: "This field may not be null.",
  maxLength: (max: number) => `Ensure this field has no more than ${max} characters.`,
  nullCharacter: "Null characters are not allowed.",
  loneSurrogate: "Unpaired surrogate characters are not allowed.",
  usernameTaken: "A user with that username already exists.",
  rollTaken: "student with this roll already exists.",
  wrongOldPassword: "Your old password was entered incorrectly. Please enter it again.",
  // A key's scopes and lifetime, as they are asked for.
  noScopes: "Choose at least one scope, or leave scopes out for a key that may do all its user may.",
  adminScopeNeedsStaff: "Only a staff user's key may have the ADMIN scope.",
  notADuration: "Enter a duration like 90s, 30m, 12h or 30d.",
  longerThan: (max: string) => `Ensure this duration is no longer than ${max}.`,
  longerThanTokenTtl: (ttl: string) => `Ensure this duration is no longer than TOKEN_TTL (${ttl}).`,
  // Before GraphQL runs.
  invalidJson: "The request body is not valid JSON.",
  emptyBody: "The request body is empty; send a JSON object with a query.",
  jsonTooDeep: (max: number) => `The request body is JSON nested deeper than ${max} levels.`,
  bodyTooLarge: "The request body is too large.",
  unsupportedMediaType: "Unsupported content type: send application/json.",
  contentLengthMismatch: "The Content-Length header does not match the body.",
  headersTooLarge: "The request headers are too large.",
  requestTimeout: "The request took too long to arrive.",
  notHttp: "The request is not valid HTTP.",
  noHost: "The request has no usable Host header.",
  methodNotAllowed: (method: string) => `Method "${method}" not allowed.`,
  noRoute: (method: string, path: string) => `No route for ${method} ${path}.`,
  internal: "Internal server error.",
  metricsUnavailable: "Metrics are unavailable: a worker did not answer in time.",
  databaseLocked: "The database is busy with another process's write; try again shortly.",
  databaseUnreachable: "The database is not answering; try again shortly.",
  limitsUnavailable: "Login limits are unavailable; try again shortly.",
} as const;

export type FieldErrors = Record<string, string[]>;

/**
 * An error of one of the codes above. `extensions` are for the client
 * (`fields`, `retryAfter`, `requiredScopes`): never a status or a header.
 */
export class ApiError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    extensions: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { code, ...extensions } });
  }
}

export class UnauthenticatedError extends ApiError {
  constructor(message: string = MESSAGES.notAuthenticated) {
    super("UNAUTHENTICATED", message);
  }
}

export class ForbiddenError extends ApiError {
  /** `extensions`: more for the client, e.g. the scopes a key lacks (`requiredScopes`). */
  constructor(message: string = MESSAGES.forbidden, extensions: Record<string, unknown> = {}) {
    super("FORBIDDEN", message, extensions);
  }
}

export class NotFoundError extends ApiError {
  constructor(message: string = MESSAGES.notFound) {
    super("NOT_FOUND", message);
  }
}

/** Validation failures: `fields` maps each input field to its messages. */
export class BadInputError extends ApiError {
  constructor(
    public readonly fields: FieldErrors,
    message: string = BadInputError.summary(fields),
  ) {
    super("BAD_USER_INPUT", message, { fields });
  }

  static field(field: string, ...messages: string[]): BadInputError {
    return new BadInputError({ [field]: messages });
  }

  private static summary(fields: FieldErrors): string {
    const first = Object.entries(fields)[0];
    return first ? `${first[0]}: ${first[1][0]}` : MESSAGES.invalidInput;
  }
}

/** `retryAfter` (whole seconds, at least 1) is in the body and, as Retry-After, in the headers. */
export class ThrottledError extends ApiError {
  constructor(retryAfterSeconds: number) {
    const wait = Math.max(1, Math.ceil(retryAfterSeconds));
    super("TOO_MANY_REQUESTS", MESSAGES.throttled(wait), { retryAfter: wait });
  }
}

/** A document over one of the MAX_* limits; `limit` names it (depth, aliases, directives, cost, tokens). */
export class LimitError extends ApiError {
  constructor(limit: string, message: string) {
    super("GRAPHQL_VALIDATION_FAILED", message, { limit });
  }
}

/**
 * Something the server depends on did not answer within its bound (the
 * database's write lock held by another process, PostgreSQL unreachable,
 * Redis where the login limits are counted):
 * 503 with Retry-After, and the whole operation refused, so a client never
 * reads a half-answered request as data.
 */
export class UnavailableError extends ApiError {
  constructor(message: string, retryAfterSeconds: number) {
    super("SERVICE_UNAVAILABLE", message, { retryAfter: Math.max(1, Math.ceil(retryAfterSeconds)) });
  }
}
