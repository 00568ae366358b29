import "reflect-metadata";
import { printSchema, type GraphQLSchema } from "graphql";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildSchema } from "type-graphql";
import { AccountResolver } from "./accounts/account.resolver";
import { TokenResolver } from "./auth/token.resolver";
import { authChecker } from "./graphql/access";
import type { Context } from "./graphql/context";
import { DateTimeScalar } from "./graphql/date-time.scalar";
import { applyTextRule } from "./graphql/text-rule";
import { StudentResolver } from "./students/student.resolver";
import { UserResolver } from "./users/user.resolver";

// The served schema: every feature's resolvers, assembled once per process
// (type-graphql's metadata is global). Each app hands its own resolver
// instances to a request through the context (see app.ts).

export const RESOLVERS = [AccountResolver, TokenResolver, StudentResolver, UserResolver] as const;

let schema: Promise<GraphQLSchema> | undefined;

export function getSchema(): Promise<GraphQLSchema> {
  schema ??= buildSchema({
    resolvers: RESOLVERS,
    authChecker,
    container: ({ context }: { context: Context }) => context.container,
    // Rules live in the services (zod, with DRF's messages), not in class-validator decorators.
    validate: false,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
  }).then(applyTextRule);
  return schema;
}

/** The schema as SDL, as `npm run schema` writes it to schema.graphql. */
export async function emittedSdl(): Promise<string> {
  return printSchema(await getSchema()) + "\n";
}

// `npm run schema`
if (require.main === module) {
  void emittedSdl().then((sdl) => {
    const file = join(__dirname, "..", "schema.graphql");
    writeFileSync(file, sdl);
    console.log(`wrote ${file}`);
  });
}
