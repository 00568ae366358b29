import { Arg, Args, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import { STAFF } from "../graphql/auth-checker";
import type { Context } from "../graphql/context";
import { NewUserInput } from "../users/user.input";
import { User } from "../users/user.type";
import { AllTokensArgs } from "./token.args";
import { TokenInfo, TokenList, TokenPayload } from "./token.type";

@Resolver()
export class AuthResolver {
  @Query(() => User, { nullable: true, description: "The authenticated user, or null for an anonymous request." })
  me(@Ctx() { auth }: Context) {
    return auth?.user ?? null;
  }

  @Authorized()
  @Query(() => [TokenInfo], { description: "Needs a user: the tokens of the authenticated user." })
  async myTokens(@Ctx() { auth, services }: Context): Promise<TokenInfo[]> {
    const tokens = await services.tokens.list(auth!.user.id);
    return tokens.map((t) => ({ ...t, current: t.id === auth!.tokenId }));
  }

  @Authorized(STAFF)
  @Query(() => [TokenInfo], { description: "Staff only: the tokens of one user (the admin panel's view)." })
  async tokens(@Arg("userId", () => ID) userId: string, @Ctx() { auth, services }: Context): Promise<TokenInfo[]> {
    const tokens = await services.tokens.listForUser(userId);
    return tokens.map((t) => ({ ...t, current: t.id === auth!.tokenId }));
  }

  @Authorized(STAFF)
  @Query(() => TokenList, { description: "Staff only: every key with its owner, newest first. limit is 1..100." })
  async allTokens(@Args() args: AllTokensArgs, @Ctx() { auth, services }: Context): Promise<TokenList> {
    const page = await services.tokens.listAll(args);
    return { count: page.count, results: page.results.map((t) => ({ ...t, current: t.id === auth!.tokenId })) };
  }

  @Mutation(() => TokenPayload, {
    description: "Anyone: trade a username and password for a new key (DRF's obtain_auth_token).",
  })
  obtainToken(
    @Arg("username") username: string,
    @Arg("password") password: string,
    @Arg("name", () => String, { nullable: true }) name: string | null,
    @Ctx() { services, clientAddress }: Context,
  ) {
    return services.auth.obtainToken({ username, password, name }, clientAddress);
  }

  @Mutation(() => TokenPayload, {
    description: "Anyone, unless registration is switched off: a new user, with a key issued at once.",
  })
  register(@Arg("input", () => NewUserInput) input: NewUserInput, @Ctx() { services }: Context) {
    return services.auth.register(input);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description:
      "Needs a user. No id: revoke the token of this request (log out). With an id: one of your own tokens, or anyone's for staff.",
  })
  revokeToken(@Arg("id", () => ID, { nullable: true }) id: string | null, @Ctx() { auth, services }: Context) {
    return services.tokens.revoke(auth!.user, id ?? String(auth!.tokenId));
  }

  @Authorized()
  @Mutation(() => Int, { description: "Needs a user: revoke every token of the authenticated user; returns how many." })
  revokeAllTokens(@Ctx() { auth, services }: Context) {
    return services.tokens.revokeAll(auth!.user.id);
  }

  @Authorized()
  @Mutation(() => TokenPayload, { description: "Needs a user: revokes all the user's tokens and returns a fresh one." })
  changePassword(
    @Arg("oldPassword") oldPassword: string,
    @Arg("newPassword") newPassword: string,
    @Ctx() { auth, services }: Context,
  ) {
    return services.auth.changePassword(auth!.user, oldPassword, newPassword);
  }

  @Authorized(STAFF)
  @Mutation(() => TokenPayload, { description: "Staff only: issue a new key for any user (the admin panel's way)." })
  createToken(
    @Arg("userId", () => ID) userId: string,
    @Arg("name", () => String, { nullable: true }) name: string | null,
    @Ctx() { auth, services }: Context,
  ) {
    return services.tokens.issueFor(auth!.user, userId, name);
  }
}
