import type { StudentModel } from "../db/models";
import { Field, ID, Int, ObjectType } from "type-graphql";
import { PaginatedResponse, sortOrder } from "../graphql/pagination";

// simpleResolvers, on every output type: its fields are plain properties
// with no middleware or per-field auth, so graphql-js reads them itself
// instead of through type-graphql's wrapper (an object and a call per field:
// 80 for a page of 20 students).
@ObjectType({ simpleResolvers: true })
export class Student {
  @Field(() => ID)
  id!: number;

  @Field()
  name!: string;

  @Field(() => Int)
  roll!: number;

  @Field()
  city!: string;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType({
  description: "One page of students: `count` is the total that match, ignoring limit/offset.",
  simpleResolvers: true,
})
export class StudentList extends PaginatedResponse(Student) {}

const order = sortOrder("StudentOrder", { ID: "id", NAME: "name", ROLL: "roll" } as const satisfies Record<
  string,
  keyof StudentModel
>);
export const StudentOrder = order.values;
export type StudentOrder = keyof typeof StudentOrder;
/** The column and direction of each StudentOrder. */
export const STUDENT_ORDER = order.keys;
