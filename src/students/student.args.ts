import { ArgsType, Field, Int } from "type-graphql";
import { StudentOrder } from "./student.type";

@ArgsType()
export class StudentListArgs {
  // nullable + defaultValue gives the contract's `Int = 20` rather than `Int! = 20`.
  @Field(() => Int, { nullable: true, defaultValue: 20 })
  limit!: number;

  @Field(() => Int, { nullable: true, defaultValue: 0 })
  offset!: number;

  @Field(() => String, { nullable: true })
  search?: string | null;

  @Field(() => StudentOrder, { nullable: true, defaultValue: StudentOrder.ID_ASC })
  orderBy!: StudentOrder;
}
