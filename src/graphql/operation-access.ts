import type { ApolloServerPlugin } from "@apollo/server";
import {
  getArgumentValues,
  getDirectiveValues,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import { ForbiddenError, MESSAGES, UnauthenticatedError } from "../shared/errors";
import type { Access } from "./access";
import type { Context } from "./context";
import { scopeRuleOf, scopesAllow, sortScopes, type Scope } from "./scopes";

// Access is decided for the whole operation before it runs, as a DRF view's
// permission classes decide for the whole request. Root fields marked
// @RequireUser() or @RequireStaff() (access.ts) carry an `access` extension
// next to their @Authorized (which stays as the resolver's own guard); an operation that selects one
// is refused here with the contract's 401 or 403, and the body has `errors`
// and no `data`. So is an operation sent with a key whose scopes do not cover
// every root field it selects (each field's @RequiresScope, scopes.ts): 403,
// with the scopes it lacks in `extensions.requiredScopes`. The statuses,
// headers and the missing `data` are error-shape.ts's.

export interface RootSelections {
  /** Every root field selection that would execute, aliases included, each with its own arguments. */
  fields: FieldNode[];
  /** The variables as execution will coerce them; undefined when they do not coerce. */
  variables: Record<string, unknown> | undefined;
}

/** The root fields an operation would execute, after fragments and @skip/@include. */
export function rootSelections(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: Record<string, unknown> | undefined,
): RootSelections {
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
  const fields: FieldNode[] = [];
  const seen = new Set<string>();
  const visit = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) fields.push(selection);
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
  return { fields, variables };
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

/**
 * Whether a selection gives `argument` a value other than null. When the
 * variables do not coerce (execution refuses the operation anyway) it
 * counts as given, so the stricter rule applies.
 */
function givesArgument(
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  argument: string,
  variables: Record<string, unknown> | undefined,
): boolean {
  if (!variables) return true;
  try {
    return getArgumentValues(field, node, variables)[argument] != null;
  } catch {
    return true;
  }
}

/**
 * The scopes a key with `scopes` lacks for the selected root fields (each
 * field's declared scope, in the enum's order), or null when it lacks none.
 * A field that declares no rule is refused to every key with scopes.
 */
export function missingScopes(
  type: GraphQLObjectType,
  selections: RootSelections,
  scopes: readonly Scope[],
): Scope[] | null {
  const all = type.getFields();
  const missing = new Set<Scope>();
  let refused = false;
  for (const node of selections.fields) {
    const field = all[node.name.value];
    if (!field) continue; // __typename, or a field validation has refused already
    const rule = scopeRuleOf(field);
    if (!rule) {
      refused = true;
      continue;
    }
    if (rule.onlyWithArgument && !givesArgument(field, node, rule.onlyWithArgument, selections.variables)) continue;
    if (scopesAllow(rule, scopes)) continue;
    refused = true;
    if (rule.scope) missing.add(rule.scope);
  }
  return refused ? sortScopes(missing) : null;
}

export function accessPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request, contextValue }) {
          const type = operation ? rootType(schema, operation) : null;
          if (!operation || !type) return;
          const selections = rootSelections(schema, document, operation, request.variables);
          const needed = neededAccess(type, new Set(selections.fields.map((f) => f.name.value)));
          const { auth } = contextValue;
          if (needed !== null && !auth) throw new UnauthenticatedError();
          // A scope never makes up for a user's rights: ADMIN on a key whose user lost staff is refused here.
          if (needed === "staff" && !auth?.user.isStaff) throw new ForbiddenError();
          if (!auth?.scopes) return;
          const missing = missingScopes(type, selections, auth.scopes);
          if (missing) throw new ForbiddenError(MESSAGES.forbidden, { requiredScopes: missing });
        },
      };
    },
  };
}
