import { ArgsType, Field, Int } from "type-graphql";

@ArgsType()
export class UserListArgs {
  @Field(() => Int, { nullable: true, defaultValue: 20 })
  limit!: number;

  @Field(() => Int, { nullable: true, defaultValue: 0 })
  offset!: number;

  @Field(() => String, { nullable: true })
  search?: string | null;
}
