import { Arg, Args, Authorized, Ctx, Extensions, ID, Mutation, Query, Resolver } from "type-graphql";
import type { Context } from "../graphql/context";
import { StudentListArgs } from "./student.args";
import { StudentInput, StudentPatch } from "./student.input";
import { Student, StudentList } from "./student.type";

@Resolver(() => Student)
export class StudentResolver {
  @Authorized()
  @Extensions({ access: "user" })
  @Query(() => StudentList, { description: "Needs a user. limit is 1..100." })
  students(@Args() args: StudentListArgs, @Ctx() { services }: Context): Promise<StudentList> {
    return services.students.list(args);
  }

  @Authorized()
  @Extensions({ access: "user" })
  @Query(() => Student, { nullable: true, description: "Needs a user. Null when there is no such student." })
  student(@Arg("id", () => ID) id: string, @Ctx() { services }: Context) {
    return services.students.get(id);
  }

  @Authorized()
  @Extensions({ access: "user" })
  @Mutation(() => Student, { description: "Needs a user." })
  createStudent(@Arg("input", () => StudentInput) input: StudentInput, @Ctx() { services }: Context) {
    return services.students.create(input);
  }

  @Authorized()
  @Extensions({ access: "user" })
  @Mutation(() => Student, { description: "Needs a user: full update." })
  updateStudent(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => StudentInput) input: StudentInput,
    @Ctx() { services }: Context,
  ) {
    return services.students.update(id, input);
  }

  @Authorized()
  @Extensions({ access: "user" })
  @Mutation(() => Student, { description: "Needs a user: partial update." })
  patchStudent(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => StudentPatch) input: StudentPatch,
    @Ctx() { services }: Context,
  ) {
    return services.students.patch(id, input);
  }

  @Authorized()
  @Extensions({ access: "user" })
  @Mutation(() => Boolean, { description: "Needs a user. True when it was deleted; NOT_FOUND when there was none." })
  deleteStudent(@Arg("id", () => ID) id: string, @Ctx() { services }: Context) {
    return services.students.delete(id);
  }
}
