import type { Selectable } from "kysely";
import type { DB } from "../generated/kysely/database";

// The models' row types as Kysely reads them, generated from the Prisma
// schema (one set for both databases: the models are the same).
export type UserModel = Selectable<DB["User"]>;
export type TokenModel = Selectable<DB["Token"]>;
export type StudentModel = Selectable<DB["Student"]>;
