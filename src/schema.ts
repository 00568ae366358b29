import "reflect-metadata";
import { printSchemaWithDirectives } from "@graphql-tools/utils";
import { GraphQLSchema, isObjectType } from "graphql";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildSchema } from "type-graphql";
import { AccountResolver } from "./accounts/account.resolver";
import { AuditResolver } from "./audit/audit.resolver";
import { TokenResolver } from "./auth/token.resolver";
import { authChecker } from "./graphql/access";
import type { Context } from "./graphql/context";
import { DateTimeScalar } from "./graphql/date-time.scalar";
import { requiresScopesDefinition, scopeRuleOf } from "./graphql/scopes";
import { applyTextRule } from "./graphql/text-rule";
import { StudentResolver } from "./students/student.resolver";
import { UserResolver } from "./users/user.resolver";

// The served schema: every feature's resolvers, assembled once per process
// (type-graphql's metadata is global). Each app hands its own resolver
// instances to a request through the context (see app.ts).

export const RESOLVERS = [AccountResolver, TokenResolver, StudentResolver, UserResolver, AuditResolver] as const;

let schema: Promise<GraphQLSchema> | undefined;

export function getSchema(): Promise<GraphQLSchema> {
  schema ??= buildSchema({
    resolvers: RESOLVERS,
    authChecker,
    container: ({ context }: { context: Context }) => context.container,
    // Rules live in the services (zod, with DRF's messages), not in class-validator decorators.
    validate: false,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
  })
    .then(withScopes)
    .then(applyTextRule);
  return schema;
}

/** The root fields (`Query.me`) that declare no scope (@RequiresScope or @NeedsNoScope). */
export function rootFieldsWithoutScope(schema: GraphQLSchema): string[] {
  return [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]
    .filter(isObjectType)
    .flatMap((type) => Object.values(type.getFields()).map((field) => ({ type, field })))
    .filter(({ field }) => !scopeRuleOf(field))
    .map(({ type, field }) => `${type.name}.${field.name}`);
}

/**
 * Defines @requiresScopes, which every root field carries (type-graphql adds
 * the uses, not the definition). A root field that declares no scope stops
 * the build: a key with scopes could not be checked against it.
 */
function withScopes(built: GraphQLSchema): GraphQLSchema {
  const undeclared = rootFieldsWithoutScope(built);
  if (undeclared.length > 0) throw new Error(`root fields without a scope: ${undeclared.join(", ")}`);
  const config = built.toConfig();
  return new GraphQLSchema({ ...config, directives: [...config.directives, requiresScopesDefinition(built)] });
}

/**
 * The schema as SDL, with the directives applied to fields (graphql-js's
 * printSchema leaves them out): what GET /schema.graphql serves and
 * `npm run schema` writes to schema.graphql.
 */
export function printSdl(schema: GraphQLSchema): string {
  return printSchemaWithDirectives(schema) + "\n";
}

/** The schema as SDL, as `npm run schema` writes it to schema.graphql. */
export async function emittedSdl(): Promise<string> {
  return printSdl(await getSchema());
}

// `npm run schema`
if (require.main === module) {
  void emittedSdl().then((sdl) => {
    const file = join(__dirname, "..", "schema.graphql");
    writeFileSync(file, sdl);
    console.log(`wrote ${file}`);
  });
}
