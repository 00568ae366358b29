import type { UserModel } from "../db/models";
import { Field, ID, ObjectType } from "type-graphql";
import { PaginatedResponse, sortOrder } from "../graphql/pagination";

@ObjectType({ simpleResolvers: true })
export class User {
  @Field(() => ID)
  id!: number;

  @Field()
  username!: string;

  @Field()
  email!: string;

  @Field()
  isStaff!: boolean;

  @Field()
  isActive!: boolean;

  @Field()
  dateJoined!: Date;

  @Field(() => Date, { nullable: true })
  lastLogin!: Date | null;
}

@ObjectType({ simpleResolvers: true })
export class UserList extends PaginatedResponse(User) {}

const order = sortOrder("UserOrder", {
  ID: "id",
  USERNAME: "username",
  DATE_JOINED: "dateJoined",
} as const satisfies Record<string, keyof UserModel>);
export const UserOrder = order.values;
export type UserOrder = keyof typeof UserOrder;
/** The column and direction of each UserOrder. */
export const USER_ORDER = order.keys;
