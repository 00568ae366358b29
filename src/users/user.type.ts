import { Field, ID, Int, ObjectType } from "type-graphql";

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
