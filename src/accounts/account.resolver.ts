import { Arg, ID, Mutation, Query, Resolver } from "type-graphql";
import { TokenPayload } from "../auth/token.type";
import { ClientAddress, CurrentUser, RequireStaff, RequireUser, ViewerOrNull } from "../graphql/access";
import type { AuthUser } from "../graphql/context";
import { NewUserInput, UserPatch } from "../users/user.input";
import { User } from "../users/user.type";
import type { AccountService } from "./account.service";

@Resolver()
export class AccountResolver {
  constructor(private readonly accounts: AccountService) {}

  @Query(() => User, { nullable: true, description: "The authenticated user, or null for an anonymous request." })
  me(@ViewerOrNull() user: AuthUser | null) {
    return user;
  }

  @Mutation(() => TokenPayload, {
    description: "Anyone: trade a username and password for a new key (DRF's obtain_auth_token).",
  })
  obtainToken(
    @Arg("username") username: string,
    @Arg("password") password: string,
    @Arg("name", () => String, { nullable: true }) name: string | null,
    @ClientAddress() address: string,
  ) {
    return this.accounts.obtainToken({ username, password, name }, address);
  }

  @Mutation(() => TokenPayload, {
    description: "Anyone, unless registration is switched off: a new user, with a key issued at once.",
  })
  register(@Arg("input", () => NewUserInput) input: NewUserInput, @ClientAddress() address: string) {
    return this.accounts.register(input, address);
  }

  @RequireUser()
  @Mutation(() => TokenPayload, { description: "Needs a user: revokes all the user's tokens and returns a fresh one." })
  changePassword(
    @Arg("oldPassword") oldPassword: string,
    @Arg("newPassword") newPassword: string,
    @CurrentUser() user: AuthUser,
    @ClientAddress() address: string,
  ) {
    return this.accounts.changePassword(user, oldPassword, newPassword, address);
  }

  @RequireStaff()
  @Mutation(() => TokenPayload, {
    description: "Staff only: the new user gets a key at once, as DRF's post_save signal gives one.",
  })
  createUser(@Arg("input", () => NewUserInput) input: NewUserInput) {
    return this.accounts.createUser(input, { allowStaff: true, tokenName: "admin" });
  }

  @RequireStaff()
  @Mutation(() => User, { description: "Staff only." })
  patchUser(@Arg("id", () => ID) id: string, @Arg("input", () => UserPatch) input: UserPatch) {
    return this.accounts.patchUser(id, input);
  }

  @RequireStaff()
  @Mutation(() => TokenPayload, { description: "Staff only: issue a new key for any user (the admin panel's way)." })
  createToken(
    @Arg("userId", () => ID) userId: string,
    @Arg("name", () => String, { nullable: true }) name: string | null,
  ) {
    return this.accounts.createToken(userId, name);
  }
}
