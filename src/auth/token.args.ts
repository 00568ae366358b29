import { ArgsType, Field, Int } from "type-graphql";

@ArgsType()
export class AllTokensArgs {
  @Field(() => Int, { nullable: true, defaultValue: 20 })
  limit!: number;

  @Field(() => Int, { nullable: true, defaultValue: 0 })
  offset!: number;

  @Field(() => String, { nullable: true, description: "Matches the owner's username or email, or the key's name or prefix." })
  search?: string | null;
}
