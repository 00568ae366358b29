import { Arg, Args, ID, Mutation, Query, Resolver } from "type-graphql";
import { RequireStaff } from "../graphql/access";
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
  @Query(() => UserList, { description: "Staff only." })
  users(@Args(() => UserListArgs) args: UserListArgs) {
    return this.userService.list(args);
  }

  @RequireStaff()
  @Query(() => User, { nullable: true, description: "Staff only. Null when there is no such user." })
  user(@Arg("id", () => ID) id: string) {
    return this.userService.get(id);
  }

  @RequireStaff()
  @Mutation(() => User, { description: "Staff only." })
  updateUser(@Arg("id", () => ID) id: string, @Arg("input", () => UserInput) input: UserInput) {
    return this.userService.update(id, input);
  }

  @RequireStaff()
  @Mutation(() => Boolean, { description: "Staff only; the user's tokens go with it." })
  deleteUser(@Arg("id", () => ID) id: string) {
    return this.userService.delete(id);
  }
}
