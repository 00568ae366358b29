import { GraphQLError } from "graphql";

// Every failure a client can meet, in one table: its code, HTTP status and
// DRF's wording. Services throw the classes below; the HTTP layer answers
// failures that happen before GraphQL runs from the same table; the error
// formatter decides what is a client's failure from it. Apollo turns
// `extensions.http` into the response's status and headers and strips it.

/** Code -> HTTP status, for every code this API answers with. */
export const ERROR_STATUS = {
  // The contract's GraphQL errors.
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 200,
  BAD_USER_INPUT: 200,
  TOO_MANY_REQUESTS: 429,
  // Refusals of a document before it runs (Apollo's own codes, and the limits').
  GRAPHQL_PARSE_FAILED: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  PERSISTED_QUERY_NOT_SUPPORTED: 200,
  OPERATION_RESOLUTION_FAILURE: 400,
  BAD_REQUEST: 400,
  // HTTP-level refusals, before GraphQL sees the request.
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  REQUEST_HEADER_FIELDS_TOO_LARGE: 431,
  // Ours, never the client's.
  INTERNAL_SERVER_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

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
  // Before GraphQL runs.
  invalidJson: "The request body is not valid JSON.",
  emptyBody: "The request body is empty; send a JSON object with a query.",
  bodyTooLarge: "The request body is too large.",
  unsupportedMediaType: "Unsupported content type: send application/json.",
  contentLengthMismatch: "The Content-Length header does not match the body.",
  headersTooLarge: "The request headers are too large.",
  requestTimeout: "The request took too long to arrive.",
  notHttp: "The request is not valid HTTP.",
  methodNotAllowed: (method: string) => `Method "${method}" not allowed.`,
  noRoute: (method: string, path: string) => `No route for ${method} ${path}.`,
  internal: "Internal server error.",
} as const;

export type FieldErrors = Record<string, string[]>;

/** The body of an answer given outside GraphQL's execution, in GraphQL's error shape. */
export function errorBody(code: ErrorCode, message: string) {
  return { errors: [{ message, extensions: { code } }] };
}

function contractError(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
  headers?: Map<string, string>,
) {
  const status = ERROR_STATUS[code];
  // A 200 is the default: only a status that differs rides along.
  const http = status === 200 ? {} : { http: { status, ...(headers ? { headers } : {}) } };
  return { message, options: { extensions: { code, ...extensions, ...http } } };
}

export class UnauthenticatedError extends GraphQLError {
  constructor(message: string = MESSAGES.notAuthenticated) {
    const e = contractError("UNAUTHENTICATED", message, {}, new Map([["www-authenticate", "Token"]]));
    super(e.message, e.options);
  }
}

export class ForbiddenError extends GraphQLError {
  constructor(message: string = MESSAGES.forbidden) {
    const e = contractError("FORBIDDEN", message);
    super(e.message, e.options);
  }
}

export class NotFoundError extends GraphQLError {
  constructor() {
    const e = contractError("NOT_FOUND", MESSAGES.notFound);
    super(e.message, e.options);
  }
}

/** Validation failures: `fields` maps each input field to its messages. */
export class BadInputError extends GraphQLError {
  constructor(
    public readonly fields: FieldErrors,
    message: string = BadInputError.summary(fields),
  ) {
    const e = contractError("BAD_USER_INPUT", message, { fields });
    super(e.message, e.options);
  }

  static field(field: string, ...messages: string[]): BadInputError {
    return new BadInputError({ [field]: messages });
  }

  private static summary(fields: FieldErrors): string {
    const first = Object.entries(fields)[0];
    return first ? `${first[0]}: ${first[1][0]}` : MESSAGES.invalidInput;
  }
}

export class ThrottledError extends GraphQLError {
  constructor(retryAfterSeconds: number) {
    const wait = Math.max(1, Math.ceil(retryAfterSeconds));
    const e = contractError(
      "TOO_MANY_REQUESTS",
      MESSAGES.throttled(wait),
      { retryAfter: wait },
      new Map([["retry-after", String(wait)]]),
    );
    super(e.message, e.options);
  }
}
