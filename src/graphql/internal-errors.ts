import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError } from "graphql";
import type { FastifyRequest } from "fastify";
import { MESSAGES } from "../shared/errors";

// An INTERNAL_SERVER_ERROR is a bug or a failure of ours (the database, a
// library): the client learns only that it happened and the request id, and
// the log keeps the whole error, stack included, under that same id, so an
// operator can go from a user's report to its cause.

const INTERNAL = "INTERNAL_SERVER_ERROR";

/** The code Apollo will give this error: one without a code is internal. */
const codeOf = (error: GraphQLError): unknown => error.extensions?.code ?? INTERNAL;

export function logInternalError(request: FastifyRequest, error: unknown, where: string): void {
  const cause = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  const path = error instanceof GraphQLError ? error.path?.join(".") : undefined;
  request.log.error({ err: cause, requestId: request.id, path, where }, "internal server error");
}

/** For failures outside an operation (the context function): logged, and answered with the request id. */
export function internalError(request: FastifyRequest, error: unknown): GraphQLError {
  logInternalError(request, error, "context");
  return new GraphQLError(MESSAGES.internal, {
    extensions: { code: INTERNAL, requestId: request.id, http: { status: 500 } },
  });
}

/** Needs only the request of the context (graphql/context.ts imports this file). */
export function internalErrorsPlugin(): ApolloServerPlugin<{ request: FastifyRequest }> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            if (codeOf(error) === INTERNAL) logInternalError(contextValue.request, error, "operation");
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== "single") return;
          const { errors } = response.body.singleResult;
          if (!errors?.some((e) => e.extensions?.code === INTERNAL)) return;
          const requestId = contextValue.request.id;
          response.body.singleResult.errors = errors.map((e) =>
            e.extensions?.code === INTERNAL ? { ...e, extensions: { ...e.extensions, requestId } } : e,
          );
        },
      };
    },
  };
}
