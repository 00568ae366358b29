import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";

@ObjectType()
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

@ObjectType()
export class UserList {
  @Field(() => Int)
  count!: number;

  @Field(() => [User])
  results!: User[];
}

export enum UserOrder {
  ID_ASC = "ID_ASC",
  ID_DESC = "ID_DESC",
  USERNAME_ASC = "USERNAME_ASC",
  USERNAME_DESC = "USERNAME_DESC",
  DATE_JOINED_ASC = "DATE_JOINED_ASC",
  DATE_JOINED_DESC = "DATE_JOINED_DESC",
}

registerEnumType(UserOrder, { name: "UserOrder" });
