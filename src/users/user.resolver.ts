import { Arg, Args, Authorized, Ctx, Extensions, ID, Mutation, Query, Resolver } from "type-graphql";
import { TokenPayload } from "../auth/token.type";
import type { Context } from "../graphql/context";
import { STAFF } from "../graphql/auth-checker";
import { UserListArgs } from "./user.args";
import { NewUserInput, UserInput, UserPatch } from "./user.input";
import { User, UserList } from "./user.type";

@Resolver(() => User)
export class UserResolver {
  @Authorized(STAFF)
  @Extensions({ access: "staff" })
  @Query(() => UserList, { description: "Staff only." })
  users(@Args() args: UserListArgs, @Ctx() { services }: Context) {
    return services.users.list(args);
  }

  @Authorized(STAFF)
  @Extensions({ access: "staff" })
  @Query(() => User, { nullable: true, description: "Staff only. Null when there is no such user." })
  user(@Arg("id", () => ID) id: string, @Ctx() { services }: Context) {
    return services.users.get(id);
  }

  @Authorized(STAFF)
  @Extensions({ access: "staff" })
  @Mutation(() => TokenPayload, {
    description: "Staff only: the new user gets a key at once, as DRF's post_save signal gives one.",
  })
  createUser(@Arg("input", () => NewUserInput) input: NewUserInput, @Ctx() { services }: Context) {
    return services.users.create(input, { allowStaff: true, tokenName: "admin" });
  }

  @Authorized(STAFF)
  @Extensions({ access: "staff" })
  @Mutation(() => User, { description: "Staff only." })
  updateUser(@Arg("id", () => ID) id: string, @Arg("input", () => UserInput) input: UserInput, @Ctx() { services }: Context) {
    return services.users.update(id, input);
  }

  @Authorized(STAFF)
  @Extensions({ access: "staff" })
  @Mutation(() => User, { description: "Staff only." })
  patchUser(@Arg("id", () => ID) id: string, @Arg("input", () => UserPatch) input: UserPatch, @Ctx() { services }: Context) {
    return services.users.patch(id, input);
  }

  @Authorized(STAFF)
  @Extensions({ access: "staff" })
  @Mutation(() => Boolean, { description: "Staff only; the user's tokens go with it." })
  deleteUser(@Arg("id", () => ID) id: string, @Ctx() { services }: Context) {
    return services.users.delete(id);
  }
}
