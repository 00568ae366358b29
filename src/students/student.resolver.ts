import { Arg, Args, ID, Mutation, Query, Resolver } from "type-graphql";
import { RequireUser } from "../graphql/access";
import { StudentListArgs } from "./student.args";
import { StudentInput, StudentPatch } from "./student.input";
import type { StudentService } from "./student.service";
import { Student, StudentList } from "./student.type";

@Resolver(() => Student)
export class StudentResolver {
  constructor(private readonly studentService: StudentService) {}

  @RequireUser()
  @Query(() => StudentList, { description: "Needs a user. limit is 1..100." })
  students(@Args(() => StudentListArgs) args: StudentListArgs): Promise<StudentList> {
    return this.studentService.list(args);
  }

  @RequireUser()
  @Query(() => Student, { nullable: true, description: "Needs a user. Null when there is no such student." })
  student(@Arg("id", () => ID) id: string) {
    return this.studentService.get(id);
  }

  @RequireUser()
  @Mutation(() => Student, { description: "Needs a user." })
  createStudent(@Arg("input", () => StudentInput) input: StudentInput) {
    return this.studentService.create(input);
  }

  @RequireUser()
  @Mutation(() => Student, { description: "Needs a user: full update." })
  updateStudent(@Arg("id", () => ID) id: string, @Arg("input", () => StudentInput) input: StudentInput) {
    return this.studentService.update(id, input);
  }

  @RequireUser()
  @Mutation(() => Student, { description: "Needs a user: partial update." })
  patchStudent(@Arg("id", () => ID) id: string, @Arg("input", () => StudentPatch) input: StudentPatch) {
    return this.studentService.patch(id, input);
  }

  @RequireUser()
  @Mutation(() => Boolean, { description: "Needs a user. True when it was deleted; NOT_FOUND when there was none." })
  deleteStudent(@Arg("id", () => ID) id: string) {
    return this.studentService.delete(id);
  }
}
