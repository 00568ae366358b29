import "reflect-metadata";
import type { GraphQLSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { AuthResolver } from "../auth/auth.resolver";
import { StudentResolver } from "../students/student.resolver";
import { UserResolver } from "../users/user.resolver";
import { authChecker } from "./auth-checker";
import { DateTimeScalar } from "./date-time.scalar";
import { applyTextRule } from "./text-rule";

let schema: Promise<GraphQLSchema> | undefined;

/** The served schema; built once per process (type-graphql's metadata is global). */
export function getSchema(): Promise<GraphQLSchema> {
  schema ??= buildSchema({
    resolvers: [AuthResolver, StudentResolver, UserResolver],
    authChecker,
    // Rules live in the services (zod, with DRF's messages), not in class-validator decorators.
    validate: false,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
  }).then(applyTextRule);
  return schema;
}
