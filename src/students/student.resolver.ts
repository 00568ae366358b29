import type { GraphQLResolveInfo } from "graphql";
import { Arg, Args, ID, Info, Mutation, Query, Resolver } from "type-graphql";
import { RequireUser, RequiresScope } from "../graphql/access";
import { Scope } from "../graphql/scopes";
import { selectedFields } from "../graphql/selection";
import { StudentListArgs } from "./student.args";
import { StudentInput, StudentPatch } from "./student.input";
import type { StudentService } from "./student.service";
import { Student, StudentList } from "./student.type";

@Resolver(() => Student)
export class StudentResolver {
  constructor(private readonly studentService: StudentService) {}

  @RequireUser()
  @RequiresScope(Scope.STUDENTS_READ)
  @Query(() => StudentList, { description: "Needs a user. limit is 1..100." })
  students(@Args(() => StudentListArgs) args: StudentListArgs, @Info() info: GraphQLResolveInfo): Promise<StudentList> {
    // The total costs a statement of its own when searching: only when asked
    // for. The rows' columns: the fields selected.
    const count = selectedFields(info).has("count");
    return this.studentService.list(args, { count, fields: selectedFields(info, ["results"]) });
  }

  @RequireUser()
  @RequiresScope(Scope.STUDENTS_READ)
  @Query(() => Student, { nullable: true, description: "Needs a user. Null when there is no such student." })
  student(@Arg("id", () => ID) id: string, @Info() info: GraphQLResolveInfo) {
    return this.studentService.get(id, selectedFields(info));
  }

  @RequireUser()
  @RequiresScope(Scope.STUDENTS_WRITE)
  @Mutation(() => Student, { description: "Needs a user." })
  createStudent(@Arg("input", () => StudentInput) input: StudentInput) {
    return this.studentService.create(input);
  }

  @RequireUser()
  @RequiresScope(Scope.STUDENTS_WRITE)
  @Mutation(() => Student, { description: "Needs a user: full update." })
  updateStudent(@Arg("id", () => ID) id: string, @Arg("input", () => StudentInput) input: StudentInput) {
    return this.studentService.update(id, input);
  }

  @RequireUser()
  @RequiresScope(Scope.STUDENTS_WRITE)
  @Mutation(() => Student, { description: "Needs a user: partial update." })
  patchStudent(@Arg("id", () => ID) id: string, @Arg("input", () => StudentPatch) input: StudentPatch) {
    return this.studentService.patch(id, input);
  }

  @RequireUser()
  @RequiresScope(Scope.STUDENTS_WRITE)
  @Mutation(() => Boolean, { description: "Needs a user. True when it was deleted; NOT_FOUND when there was none." })
  deleteStudent(@Arg("id", () => ID) id: string) {
    return this.studentService.delete(id);
  }
}
