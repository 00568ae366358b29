import { RecordsOrigin } from "../audit/audit-origin";
import { Arg, ID, Mutation, Query, Resolver, UseMiddleware } from "type-graphql";
import { TokenPayload } from "../auth/token.type";
import {
  ClientAddress,
  CurrentAuth,
  NeedsNoScope,
  RequireStaff,
  RequireUser,
  RequiresScope,
  ViewerOrNull,
} from "../graphql/access";
import type { Authenticated, AuthUser } from "../graphql/context";
import { Scope } from "../graphql/scopes";
import { NewUserInput, UserPatch } from "../users/user.input";
import { User } from "../users/user.type";
import type { AccountService } from "./account.service";

@Resolver()
export class AccountResolver {
  constructor(private readonly accounts: AccountService) {}

  @RequiresScope(Scope.ACCOUNT)
  @Query(() => User, { nullable: true, description: "The authenticated user, or null for an anonymous request." })
  me(@ViewerOrNull() user: AuthUser | null) {
    return user;
  }

  // A new password check: the key it issues is not bound by the scopes of
  // any key the request carries.
  @NeedsNoScope()
  @UseMiddleware(RecordsOrigin)
  @Mutation(() => TokenPayload, {
    description:
      "Anyone: trade a username and password for a new key (DRF's obtain_auth_token), optionally with scopes and its own lifetime.",
  })
  obtainToken(
    @Arg("username") username: string,
    @Arg("password") password: string,
    @Arg("name", () => String, { nullable: true }) name: string | null,
    @Arg("scopes", () => [Scope], { nullable: true, description: "Null: everything the user may." })
    scopes: Scope[] | null,
    @Arg("expiresIn", () => String, {
      nullable: true,
      description: "This key's own lifetime (90s, 30m, 12h, 30d), at most TOKEN_TTL. Null: TOKEN_TTL's, or none.",
    })
    expiresIn: string | null,
    @ClientAddress() address: string,
  ) {
    return this.accounts.obtainToken({ username, password, name, scopes, expiresIn }, address);
  }

  @NeedsNoScope()
  @UseMiddleware(RecordsOrigin)
  @Mutation(() => TokenPayload, {
    description: "Anyone, unless registration is switched off: a new user, with a key issued at once.",
  })
  register(@Arg("input", () => NewUserInput) input: NewUserInput, @ClientAddress() address: string) {
    return this.accounts.register(input, address);
  }

  @RequireUser()
  @RequiresScope(Scope.ACCOUNT)
  @UseMiddleware(RecordsOrigin)
  @Mutation(() => TokenPayload, {
    description:
      "Needs a user: revokes all the user's tokens and returns a fresh one, with the scopes of the key that asked.",
  })
  changePassword(
    @Arg("oldPassword") oldPassword: string,
    @Arg("newPassword") newPassword: string,
    @CurrentAuth() auth: Authenticated,
    @ClientAddress() address: string,
  ) {
    return this.accounts.changePassword(auth, oldPassword, newPassword, address);
  }

  @RequireStaff()
  @RequiresScope(Scope.ADMIN)
  @UseMiddleware(RecordsOrigin)
  @Mutation(() => TokenPayload, {
    description: "Staff only: the new user gets a key at once, as DRF's post_save signal gives one.",
  })
  createUser(@Arg("input", () => NewUserInput) input: NewUserInput) {
    return this.accounts.createUser(input, { allowStaff: true, tokenName: "admin" });
  }

  @RequireStaff()
  @RequiresScope(Scope.ADMIN)
  @UseMiddleware(RecordsOrigin)
  @Mutation(() => User, { description: "Staff only." })
  patchUser(@Arg("id", () => ID) id: string, @Arg("input", () => UserPatch) input: UserPatch) {
    return this.accounts.patchUser(id, input);
  }

  @RequireStaff()
  @RequiresScope(Scope.ADMIN)
  @UseMiddleware(RecordsOrigin)
  @Mutation(() => TokenPayload, {
    description:
      "Staff only: issue a new key for any user (the admin panel's way), optionally with scopes and its own lifetime.",
  })
  createToken(
    @Arg("userId", () => ID) userId: string,
    @Arg("name", () => String, { nullable: true }) name: string | null,
    @Arg("scopes", () => [Scope], { nullable: true, description: "Null: everything the user may." })
    scopes: Scope[] | null,
    @Arg("expiresIn", () => String, {
      nullable: true,
      description: "This key's own lifetime (90s, 30m, 12h, 30d), at most TOKEN_TTL. Null: TOKEN_TTL's, or none.",
    })
    expiresIn: string | null,
  ) {
    return this.accounts.createToken(userId, name, { scopes, expiresIn });
  }
}
