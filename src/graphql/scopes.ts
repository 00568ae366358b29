import {
  DirectiveLocation,
  GraphQLDirective,
  GraphQLList,
  GraphQLNonNull,
  GraphQLString,
  isEnumType,
  type GraphQLField,
  type GraphQLSchema,
} from "graphql";
import { registerEnumType } from "type-graphql";

// What a key may do. A key issued with scopes does only what they cover,
// whatever its user may; a key without (null) does all its user may, as a
// DRF key does. Each root field declares the one scope it needs (access.ts:
// @RequiresScope next to its resolver); the declaration is both the field's
// `scopes` extension, which operation-access.ts checks for the whole
// operation before it runs, and its @requiresScopes directive in the served
// SDL, so clients read the same rule the server applies.

export enum Scope {
  ACCOUNT = "ACCOUNT",
  STUDENTS_READ = "STUDENTS_READ",
  STUDENTS_WRITE = "STUDENTS_WRITE",
  ADMIN = "ADMIN",
}

/** Every scope, in the enum's order: the order every list of scopes is shown in. */
export const SCOPES: readonly Scope[] = Object.values(Scope);

registerEnumType(Scope, {
  name: "Scope",
  description: "What a key may do, whatever its user may. A key without scopes (null) does all its user may.",
  valuesConfig: {
    ACCOUNT: { description: "The key's own user: me, myTokens, revokeToken by id, revokeAllTokens, changePassword." },
    STUDENTS_READ: { description: "Read students." },
    STUDENTS_WRITE: { description: "Create, change and delete students; also read them." },
    ADMIN: { description: "Staff work: users and everyone's keys. Needs a staff user too." },
  },
});

/** Scopes that grant others too: a key that may change students may read them. */
const ALSO_GRANTS: Partial<Record<Scope, readonly Scope[]>> = {
  [Scope.STUDENTS_WRITE]: [Scope.STUDENTS_READ],
};

/** The scopes any one of which covers `scope`: itself and those that also grant it. */
export function scopesCovering(scope: Scope): Scope[] {
  return SCOPES.filter((s) => s === scope || (ALSO_GRANTS[s] ?? []).includes(scope));
}

/** In the enum's order, each once. */
export function sortScopes(scopes: Iterable<Scope>): Scope[] {
  const set = new Set(scopes);
  return SCOPES.filter((s) => set.has(s));
}

/** What one root field asks of a key's scopes. */
export interface ScopeRule {
  /** The scope it needs, named in a refusal's requiredScopes; null: any key (or none) may select it. */
  scope: Scope | null;
  /** Other scopes that let a key select it as well. */
  or: readonly Scope[];
  /** The rule holds only when this argument is given and not null; without it any key may select the field. */
  onlyWithArgument?: string;
}

/** Every scope that lets a key select a field under `rule`: empty when any key may. */
export function scopesAllowing(rule: ScopeRule): Scope[] {
  if (rule.scope === null) return [];
  return sortScopes([...scopesCovering(rule.scope), ...rule.or.flatMap(scopesCovering)]);
}

/** Whether a key with `scopes` (null: all its user may) may select a field under `rule`. */
export function scopesAllow(rule: ScopeRule, scopes: readonly Scope[] | null): boolean {
  if (scopes === null || rule.scope === null) return true;
  return scopesAllowing(rule).some((s) => scopes.includes(s));
}

/** Whether a key with `scopes` (null: all its user may) has `scope`, or one that covers it. */
export function keyHasScope(scopes: readonly Scope[] | null, scope: Scope): boolean {
  return scopesAllow({ scope, or: [] }, scopes);
}

/** A field's declared rule, or undefined when it declares none. */
export function scopeRuleOf(field: GraphQLField<unknown, unknown>): ScopeRule | undefined {
  return (field.extensions as { scopes?: ScopeRule } | undefined)?.scopes;
}

export const REQUIRES_SCOPES = "requiresScopes";

/** The rule as a @requiresScopes directive, for type-graphql's @Directive. */
export function requiresScopesDirective(rule: ScopeRule): string {
  const alternatives =
    rule.scope === null
      ? "[[]]"
      : `[${scopesAllowing(rule)
          .map((s) => `[${s}]`)
          .join(", ")}]`;
  const argument = rule.onlyWithArgument ? `, onlyWithArgument: ${JSON.stringify(rule.onlyWithArgument)}` : "";
  return `@${REQUIRES_SCOPES}(scopes: ${alternatives}${argument})`;
}

/**
 * The directive's definition, for the served schema. Its `scopes` reads as
 * Apollo Router's @requiresScopes does: any one inner list, with every
 * scope in it; `[[]]` (an empty list, which nothing can miss) for any key.
 */
export function requiresScopesDefinition(schema: GraphQLSchema): GraphQLDirective {
  const scope = schema.getType("Scope");
  if (!isEnumType(scope)) throw new Error("the schema has no Scope enum for @requiresScopes");
  return new GraphQLDirective({
    name: REQUIRES_SCOPES,
    description:
      "The scopes a key needs to select this root field: any one of the lists, with every scope in it; `[[]]`: any key, or none. A key without scopes does all its user may.",
    locations: [DirectiveLocation.FIELD_DEFINITION],
    args: {
      scopes: {
        type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(scope))))),
      },
      onlyWithArgument: {
        type: GraphQLString,
        description: "The scopes are needed only when this argument is given (not null); without it any key may.",
      },
    },
  });
}
