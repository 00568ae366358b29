import type { ApolloServerPlugin } from "@apollo/server";
import type { FastifyRequest } from "fastify";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { ApiError, ERRORS, MESSAGES, isContractCode, ruleOf, type ErrorScope } from "../shared/errors";
import { tokenLimitError } from "./query-limits";

// The one place that turns errors into HTTP: every status, every header an
// error brings (WWW-Authenticate, Retry-After) and every error body, read
// from the table in shared/errors.ts. Everything else raises typed errors.
// Three routes lead here:
// - GraphQL's own answers: `formatError` (each error's body) and
//   `errorShapePlugin` (the response's status, headers and `data`);
// - the context function, which runs before any plugin: `contextRefusal`
//   gives its error the status and headers Apollo's own answer will carry;
// - refusals before GraphQL sees the request (Fastify's hooks and error
//   handler, Node's HTTP parser): `refusalAnswer`.
// An INTERNAL_SERVER_ERROR is a bug or a failure of ours (the database, a
// library): the client learns only that it happened and the request id, and
// the log keeps the whole error, stack included, under that same id.

const INTERNAL = "INTERNAL_SERVER_ERROR";

/** What a response answers: its status and headers, and whether its `data` goes. */
export interface Verdict {
  status: number;
  headers: Record<string, string>;
  /** The response is refused: `errors` only, no `data` entry. */
  refused: boolean;
  /** The index of the error that decided it; -1 when the operation's result stands (200). */
  decidedBy: number;
}

const RANK: Record<ErrorScope, number> = { field: 0, operation: 1, response: 2 };

/**
 * The verdict on a GraphQL response from its errors and its `data`
 * (undefined: the operation never ran). The error of the widest scope
 * decides, the first of them when several share it.
 */
export function verdictOn(errors: readonly GraphQLFormattedError[], data: unknown): Verdict {
  let decidedBy = 0;
  for (let i = 1; i < errors.length; i++) {
    if (RANK[ruleOf(errors[i]!.extensions?.code).scope] > RANK[ruleOf(errors[decidedBy]!.extensions?.code).scope]) {
      decidedBy = i;
    }
  }
  const error = errors[decidedBy]!;
  const rule = ruleOf(error.extensions?.code);
  const refused = data === undefined || rule.scope === "response" || (rule.scope === "operation" && data === null);
  // Once an operation runs, its result stands as 200 (GraphQL over HTTP):
  // clients drop the data of a 4xx, so a partial result never goes out as one.
  if (!refused) return { status: 200, headers: {}, refused: false, decidedBy: -1 };
  return { status: rule.status, headers: rule.headers?.(error.extensions ?? {}) ?? {}, refused, decidedBy };
}

export function logInternalError(request: FastifyRequest, error: unknown, where: string): void {
  const cause = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  const path = error instanceof GraphQLError ? error.path?.join(".") : undefined;
  request.log.error({ err: cause, requestId: request.id, path, where }, "internal server error");
}

/** The answer to a refusal outside GraphQL's execution, in GraphQL's error shape. */
export interface RefusalAnswer {
  status: number;
  headers: Record<string, string>;
  body: { errors: GraphQLFormattedError[] };
}

export function refusalAnswer(error: ApiError): RefusalAnswer {
  const rule = ERRORS[error.code];
  return {
    status: rule.status,
    headers: rule.headers?.(error.extensions) ?? {},
    body: { errors: [{ message: error.message, extensions: error.extensions }] },
  };
}

/** A failure of ours outside GraphQL's execution: logged, and answered with the request id. */
export function internalRefusal(request: FastifyRequest, error: unknown, where: string): ApiError {
  logInternalError(request, error, where);
  return new ApiError(INTERNAL, MESSAGES.internal, { requestId: request.id });
}

/**
 * For a failure in the context function (a 401 or 429 for the key, or ours):
 * Apollo answers it before any plugin runs, with the status and headers the
 * error carries in `extensions.http`, which it strips from the body.
 */
export function contextRefusal(request: FastifyRequest, error: unknown): GraphQLError {
  const refusal = error instanceof ApiError ? error : internalRefusal(request, error, "context");
  const { status, headers } = refusalAnswer(refusal);
  return new GraphQLError(refusal.message, {
    originalError: refusal,
    extensions: { ...refusal.extensions, http: { status, headers: new Map(Object.entries(headers)) } },
  });
}

// graphql-js's "Did you mean …?" names fields, arguments, types and enum
// values; Apollo's hideSchemaDetailsFromClientErrors drops it from document
// validation only, not from variables (a bad enum value in `$orderBy`).
const SUGGESTION = / ?Did you mean [^?]*\?$/;

/**
 * Apollo's formatError: the body of every error it answers. In production
 * an unexpected error (a bug, a database failure) says only that it
 * happened and its request id: its message could name files, SQL or values.
 */
export function formatError(production: boolean) {
  return (formatted: GraphQLFormattedError): GraphQLFormattedError => {
    const limit = tokenLimitError(formatted);
    let error = limit
      ? { ...formatted, message: limit.message, extensions: { ...formatted.extensions, ...limit.extensions } }
      : formatted;
    if (production && SUGGESTION.test(error.message))
      error = { ...error, message: error.message.replace(SUGGESTION, "") };
    const code = error.extensions?.code;
    // The contract's own answers: a stack trace says nothing useful about them,
    // even in development, and would bury the message in a terminal.
    if (isContractCode(code) && error.extensions?.stacktrace) {
      const { stacktrace: _, ...extensions } = error.extensions;
      return { ...error, extensions };
    }
    if (!production || code !== INTERNAL) return error;
    const { locations, path } = error;
    // The request id is added by the plugin below or, for a failure outside
    // the operation, is already there.
    const requestId = error.extensions?.requestId;
    return {
      message: MESSAGES.internal,
      locations,
      path,
      extensions: { code: INTERNAL, ...(typeof requestId === "string" ? { requestId } : {}) },
    };
  };
}

/** Needs only the request of the context (graphql/context.ts imports this file). */
export function errorShapePlugin(): ApolloServerPlugin<{ request: FastifyRequest }> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            if ((error.extensions?.code ?? INTERNAL) === INTERNAL)
              logInternalError(contextValue.request, error, "operation");
          }
        },
        async willSendResponse({ response, errors: originals, contextValue }) {
          if (response.body.kind !== "single") return;
          const result = response.body.singleResult;
          const errors = result.errors;
          if (!errors?.length) return;
          const verdict = verdictOn(errors, result.data);
          if (verdict.refused) delete result.data;
          // Apollo's own refusals of a request it will not run bring their own
          // HTTP head (a mutation over GET: 405 with Allow: POST), already set.
          if (!originals?.[verdict.decidedBy]?.extensions?.http) {
            response.http.status = verdict.status;
            for (const [name, value] of Object.entries(verdict.headers)) response.http.headers.set(name, value);
          }
          if (errors.some((e) => e.extensions?.code === INTERNAL)) {
            const requestId = contextValue.request.id;
            result.errors = errors.map((e) =>
              e.extensions?.code === INTERNAL ? { ...e, extensions: { ...e.extensions, requestId } } : e,
            );
          }
        },
      };
    },
  };
}
