import { GraphQLScalarType } from "graphql";
import { DateTimeResolver } from "graphql-scalars";

// graphql-scalars' DateTime (ISO-8601, UTC on output), described as the contract does.
export const DateTimeScalar = new GraphQLScalarType({
  ...DateTimeResolver.toConfig(),
  description: "An ISO-8601 date-time in UTC, e.g. 2026-11-27T17:19:18.000Z.",
});
