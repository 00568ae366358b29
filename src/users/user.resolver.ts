import { RecordsOrigin } from "../audit/audit-origin";
import { Arg, Args, ID, Mutation, Query, Resolver, UseMiddleware } from "type-graphql";
import { RequireStaff, RequiresScope } from "../graphql/access";
import { Scope } from "../graphql/scopes";
import { UserListArgs } from "./user.args";
import { UserInput } from "./user.input";
import type { UserService } from "./user.service";
import { User, UserList } from "./user.type";

// Staff's view of users. Creating a user and changing a password also touch
// keys, so those mutations are in accounts/account.resolver.ts.

@Resolver(() => User)
export class UserResolver {
  constructor(private readonly userService: UserService) {}

  @RequireStaff()
  @RequiresScope(Scope.ADMIN)
  @Query(() => UserList, { description: "Staff only." })
  users(@Args(() => UserListArgs) args: UserListArgs) {
    return this.userService.list(args);
  }

  @RequireStaff()
  @RequiresScope(Scope.ADMIN)
  @Query(() => User, { nullable: true, description: "Staff only. Null when there is no such user." })
  user(@Arg("id", () => ID) id: string) {
    return this.userService.get(id);
  }

  @RequireStaff()
  @RequiresScope(Scope.ADMIN)
  @UseMiddleware(RecordsOrigin)
  @Mutation(() => User, { description: "Staff only." })
  updateUser(@Arg("id", () => ID) id: string, @Arg("input", () => UserInput) input: UserInput) {
    return this.userService.update(id, input);
  }

  @RequireStaff()
  @RequiresScope(Scope.ADMIN)
  @UseMiddleware(RecordsOrigin)
  @Mutation(() => Boolean, { description: "Staff only; the user's tokens go with it." })
  deleteUser(@Arg("id", () => ID) id: string) {
    return this.userService.delete(id);
  }
}
