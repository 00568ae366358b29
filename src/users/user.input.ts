import { Field, InputType } from "type-graphql";

@InputType()
export class NewUserInput {
  @Field()
  username!: string;

  @Field()
  email!: string;

  @Field()
  password!: string;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description: "Honoured only when a staff user creates the account.",
  })
  isStaff?: boolean | null;
}

@InputType({ description: "Full update of a user's profile (PUT)." })
export class UserInput {
  @Field()
  username!: string;

  @Field()
  email!: string;
}

@InputType({ description: "Partial update of a user (PATCH)." })
export class UserPatch {
  @Field(() => String, { nullable: true })
  username?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true })
  password?: string | null;

  @Field(() => Boolean, { nullable: true })
  isStaff?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  isActive?: boolean | null;
}
