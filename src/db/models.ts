// The models' row types, from Prisma's generated client. Both generated
// clients have the same models; the SQLite one's types stand for both.
export type { StudentModel, TokenModel, UserModel } from "../generated/sqlite/models";
