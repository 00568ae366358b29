import { RecordsOrigin } from "../audit/audit-origin";
import { Arg, Args, ArgsType, Field, ID, Int, Mutation, Query, Resolver, UseMiddleware } from "type-graphql";
import { CurrentAuth, CurrentTokenId, CurrentUser, RequireStaff, RequireUser, RequiresScope } from "../graphql/access";
import type { Authenticated, AuthUser } from "../graphql/context";
import { PaginationArgs } from "../graphql/pagination";
import { Scope } from "../graphql/scopes";
import type { KeyRow, TokenService } from "./token.service";
import { TokenInfo, TokenList } from "./token.type";

@ArgsType()
class TokenListArgs extends PaginationArgs {
  @Field(() => ID, { nullable: true, description: "Only this user's keys." })
  userId?: string | null;
}

const info =
  (tokenId: number) =>
  (t: KeyRow): TokenInfo => ({ ...t, current: t.id === tokenId });

@Resolver(() => TokenInfo)
export class TokenResolver {
  constructor(private readonly tokenService: TokenService) {}

  @RequireUser()
  @RequiresScope(Scope.ACCOUNT)
  @Query(() => [TokenInfo], { description: "Needs a user: the tokens of the authenticated user." })
  async myTokens(@CurrentUser() user: AuthUser, @CurrentTokenId() tokenId: number): Promise<TokenInfo[]> {
    return (await this.tokenService.list(user.id)).map(info(tokenId));
  }

  @RequireStaff()
  @RequiresScope(Scope.ADMIN)
  @Query(() => [TokenInfo], { description: "Staff only: the tokens of one user (the admin panel's view)." })
  async tokens(@Arg("userId", () => ID) userId: string, @CurrentTokenId() tokenId: number): Promise<TokenInfo[]> {
    return (await this.tokenService.listForUser(userId)).map(info(tokenId));
  }

  @RequireStaff()
  @RequiresScope(Scope.ADMIN)
  @Query(() => TokenList, {
    description:
      "Staff only: every key, newest first; search matches the user's name or email, or the key's name or prefix.",
  })
  async allTokens(
    @Args(() => TokenListArgs) args: TokenListArgs,
    @CurrentTokenId() tokenId: number,
  ): Promise<TokenList> {
    const page = await this.tokenService.listAll(args);
    return { count: page.count, results: page.results.map(info(tokenId)) };
  }

  // Every key may log itself out; by id, a key needs ACCOUNT (one of its
  // user's keys) or ADMIN (anyone's, for staff: see TokenService.revoke).
  @RequireUser()
  @RequiresScope(Scope.ACCOUNT, { or: [Scope.ADMIN], onlyWithArgument: "id" })
  @UseMiddleware(RecordsOrigin)
  @Mutation(() => Boolean, {
    description:
      "Needs a user. No id: revoke the token of this request (log out). With an id: one of your own tokens, or anyone's for staff.",
  })
  revokeToken(@Arg("id", () => ID, { nullable: true }) id: string | null, @CurrentAuth() auth: Authenticated) {
    return this.tokenService.revoke(auth, id ?? String(auth.tokenId));
  }

  @RequireUser()
  @RequiresScope(Scope.ACCOUNT)
  @UseMiddleware(RecordsOrigin)
  @Mutation(() => Int, { description: "Needs a user: revoke every token of the authenticated user; returns how many." })
  revokeAllTokens(@CurrentUser() user: AuthUser) {
    return this.tokenService.revokeAll(user.id);
  }
}
