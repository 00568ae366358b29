import { GraphQLError } from "graphql";

// Every failure a client can cause, with the contract's code, HTTP status and
// DRF's wording. Services throw these; Apollo turns `extensions.http` into the
// response's status and headers and strips it from the payload.

export type FieldErrors = Record<string, string[]>;

export const MESSAGES = {
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
} as const;

export class UnauthenticatedError extends GraphQLError {
  constructor(message: string = MESSAGES.notAuthenticated) {
    super(message, {
      extensions: { code: "UNAUTHENTICATED", http: { status: 401, headers: new Map([["www-authenticate", "Token"]]) } },
    });
  }
}

export class ForbiddenError extends GraphQLError {
  constructor(message: string = MESSAGES.forbidden) {
    super(message, { extensions: { code: "FORBIDDEN", http: { status: 403 } } });
  }
}

export class NotFoundError extends GraphQLError {
  constructor() {
    super(MESSAGES.notFound, { extensions: { code: "NOT_FOUND" } });
  }
}

/** Validation failures: `fields` maps each input field to its messages. */
export class BadInputError extends GraphQLError {
  constructor(
    public readonly fields: FieldErrors,
    message: string = BadInputError.summary(fields),
  ) {
    super(message, { extensions: { code: "BAD_USER_INPUT", fields } });
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
    super(`Request was throttled. Expected available in ${wait} seconds.`, {
      extensions: {
        code: "TOO_MANY_REQUESTS",
        retryAfter: wait,
        http: { status: 429, headers: new Map([["retry-after", String(wait)]]) },
      },
    });
  }
}
