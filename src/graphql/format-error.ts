import type { GraphQLFormattedError } from "graphql";
import { formatLimitError } from "./limits";

// The last word on what a client sees of an error. In production an
// unexpected error (a bug, a database failure) says only that it happened:
// its message could name files, SQL or values.

export const INTERNAL_MESSAGE = "Internal server error.";

export function formatError(production: boolean) {
  return (formatted: GraphQLFormattedError): GraphQLFormattedError => {
    const error = formatLimitError(formatted);
    if (!production || error.extensions?.code !== "INTERNAL_SERVER_ERROR") return error;
    const { locations, path } = error;
    return { message: INTERNAL_MESSAGE, locations, path, extensions: { code: "INTERNAL_SERVER_ERROR" } };
  };
}
