import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { PaginatedResponse } from "../graphql/pagination";

@ObjectType()
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

@ObjectType({ description: "One page of students: `count` is the total that match, ignoring limit/offset." })
export class StudentList extends PaginatedResponse(Student) {}

export enum StudentOrder {
  ID_ASC = "ID_ASC",
  ID_DESC = "ID_DESC",
  NAME_ASC = "NAME_ASC",
  NAME_DESC = "NAME_DESC",
  ROLL_ASC = "ROLL_ASC",
  ROLL_DESC = "ROLL_DESC",
}

registerEnumType(StudentOrder, { name: "StudentOrder" });
