import { ArgsType, Field } from "type-graphql";
import { PaginationArgs } from "../graphql/pagination";
import { StudentOrder } from "./student.type";

@ArgsType()
export class StudentListArgs extends PaginationArgs {
  @Field(() => StudentOrder, { nullable: true, defaultValue: StudentOrder.ID_ASC })
  orderBy?: StudentOrder | null;
}
