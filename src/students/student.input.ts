import { Field, InputType, Int } from "type-graphql";

@InputType({ description: "Full update (PUT): every field is required." })
export class StudentInput {
  @Field()
  name!: string;

  @Field(() => Int)
  roll!: number;

  @Field()
  city!: string;
}

@InputType({ description: "Partial update (PATCH): only the fields given change." })
export class StudentPatch {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => Int, { nullable: true })
  roll?: number | null;

  @Field(() => String, { nullable: true })
  city?: string | null;
}
