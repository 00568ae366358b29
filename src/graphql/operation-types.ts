import { GraphQLError, type ValidationRule } from "graphql";

/**
 * Refuses an operation whose root type the schema lacks (this API has no
 * subscriptions). graphql 16 only finds out while executing and throws a
 * plain error, which Apollo reports as INTERNAL_SERVER_ERROR ("Internal
 * server error." in production) although the client caused it. graphql 17
 * has this rule built in (KnownOperationTypesRule).
 */
export const KnownOperationTypesRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (!context.getSchema().getRootType(node.operation)) {
      context.reportError(
        new GraphQLError(`The ${node.operation} operation is not supported by this API.`, { nodes: node }),
      );
    }
  },
});
