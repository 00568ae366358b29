import type { GraphQLFormattedError } from "graphql";
import { MESSAGES, isContractCode } from "../shared/errors";
import { formatLimitError } from "./limits";

// The last word on what a client sees of an error. In production an
// unexpected error (a bug, a database failure) says only that it happened:
// its message could name files, SQL or values.

export function formatError(production: boolean) {
  return (formatted: GraphQLFormattedError): GraphQLFormattedError => {
    const error = formatLimitError(formatted);
    const code = error.extensions?.code;
    // The contract's own answers: a stack trace says nothing useful about them,
    // even in development, and would bury the message in a terminal.
    if (isContractCode(code) && error.extensions?.stacktrace) {
      const { stacktrace: _, ...extensions } = error.extensions;
      return { ...error, extensions };
    }
    if (!production || code !== "INTERNAL_SERVER_ERROR") return error;
    const { locations, path } = error;
    return { message: MESSAGES.internal, locations, path, extensions: { code: "INTERNAL_SERVER_ERROR" } };
  };
}
