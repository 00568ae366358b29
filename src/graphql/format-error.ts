import type { GraphQLFormattedError } from "graphql";
import { MESSAGES, isContractCode } from "../shared/errors";
import { formatLimitError } from "./limits";

// The last word on what a client sees of an error. In production an
// unexpected error (a bug, a database failure) says only that it happened
// and its request id: its message could name files, SQL or values.

// graphql-js's "Did you mean …?" names fields, arguments, types and enum
// values; Apollo's hideSchemaDetailsFromClientErrors drops it from document
// validation only, not from variables (a bad enum value in `$orderBy`).
const SUGGESTION = / ?Did you mean [^?]*\?$/;

export function formatError(production: boolean) {
  return (formatted: GraphQLFormattedError): GraphQLFormattedError => {
    let error = formatLimitError(formatted);
    if (production && SUGGESTION.test(error.message))
      error = { ...error, message: error.message.replace(SUGGESTION, "") };
    const code = error.extensions?.code;
    // The contract's own answers: a stack trace says nothing useful about them,
    // even in development, and would bury the message in a terminal.
    if (isContractCode(code) && error.extensions?.stacktrace) {
      const { stacktrace: _, ...extensions } = error.extensions;
      return { ...error, extensions };
    }
    if (!production || code !== "INTERNAL_SERVER_ERROR") return error;
    const { locations, path } = error;
    // The request id is added later (internal-errors.ts) or, for a failure
    // outside the operation, is already there.
    const requestId = error.extensions?.requestId;
    return {
      message: MESSAGES.internal,
      locations,
      path,
      extensions: { code: "INTERNAL_SERVER_ERROR", ...(typeof requestId === "string" ? { requestId } : {}) },
    };
  };
}
