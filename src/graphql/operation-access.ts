import type { ApolloServerPlugin } from "@apollo/server";
import {
  getDirectiveValues,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import { ForbiddenError, UnauthenticatedError } from "../shared/errors";
import type { Access } from "./access";
import type { Context } from "./context";

// Access is decided for the whole operation before it runs, as a DRF view's
// permission classes decide for the whole request. Root fields marked
// @RequireUser() or @RequireStaff() (access.ts) carry an `access` extension
// next to their @Authorized (which stays as the resolver's own guard); an operation that selects one
// is refused here with the contract's 401 or 403, and the body has `errors`
// and no `data`. Once an operation runs, its status is 200 whenever `data`
// is not null (GraphQL over HTTP): a partial result never goes out as 4xx.

/** The root fields an operation would execute, after fragments and @skip/@include. */
export function selectedRootFields(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: Record<string, unknown> | undefined,
): Set<string> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  // Coerced as execution will coerce them (defaults included). If they do not
  // coerce, execution refuses the operation anyway; until then every
  // conditional field counts as selected, so access is never looser.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {}, { maxErrors: 1 });
  const variables = coerced.coerced;
  const included = (node: Parameters<typeof getDirectiveValues>[1]): boolean => {
    if (!variables) return true;
    try {
      if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
      if (getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if === false) return false;
    } catch {
      return true;
    }
    return true;
  };
  const names = new Set<string>();
  const seen = new Set<string>();
  const visit = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment && !seen.has(name)) {
          seen.add(name);
          visit(fragment.selectionSet);
        }
      }
    }
  };
  visit(operation.selectionSet);
  return names;
}

function rootType(schema: GraphQLSchema, operation: OperationDefinitionNode): GraphQLObjectType | null | undefined {
  if (operation.operation === OperationTypeNode.QUERY) return schema.getQueryType();
  if (operation.operation === OperationTypeNode.MUTATION) return schema.getMutationType();
  return schema.getSubscriptionType();
}

/** The strictest access the selected root fields need, or null when none does. */
export function neededAccess(type: GraphQLObjectType, fields: Iterable<string>): Access | null {
  let needed: Access | null = null;
  const all = type.getFields();
  for (const name of fields) {
    const access = (all[name]?.extensions as { access?: Access } | undefined)?.access;
    if (access === "staff") return "staff";
    if (access === "user") needed = "user";
  }
  return needed;
}

export function accessPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request, contextValue }) {
          const type = operation ? rootType(schema, operation) : null;
          if (!operation || !type) return;
          const needed = neededAccess(type, selectedRootFields(schema, document, operation, request.variables));
          if (needed === null) return;
          if (!contextValue.auth) throw new UnauthenticatedError();
          if (needed === "staff" && !contextValue.auth.user.isStaff) throw new ForbiddenError();
        },
        async willSendResponse({ response }) {
          // A nested field's own 401/403 (or any error carrying a status) must
          // not turn a result with data into a 4xx: clients drop its data.
          if (response.body.kind === "single" && response.body.singleResult.data != null) {
            response.http.status = 200;
          }
        },
      };
    },
  };
}
