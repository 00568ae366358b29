import { Arg, Args, ArgsType, Field, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import { CurrentTokenId, CurrentUser, RequireStaff, RequireUser } from "../graphql/access";
import type { AuthUser } from "../graphql/context";
import { PaginationArgs } from "../graphql/pagination";
import type { TokenRowWithUser } from "./token.queries";
import type { TokenService } from "./token.service";
import { TokenInfo, TokenList } from "./token.type";

@ArgsType()
class TokenListArgs extends PaginationArgs {
  @Field(() => ID, { nullable: true, description: "Only this user's keys." })
  userId?: string | null;
}

const info =
  (tokenId: number) =>
  (t: TokenRowWithUser): TokenInfo => ({ ...t, current: t.id === tokenId });

@Resolver(() => TokenInfo)
export class TokenResolver {
  constructor(private readonly tokenService: TokenService) {}

  @RequireUser()
  @Query(() => [TokenInfo], { description: "Needs a user: the tokens of the authenticated user." })
  async myTokens(@CurrentUser() user: AuthUser, @CurrentTokenId() tokenId: number): Promise<TokenInfo[]> {
    return (await this.tokenService.list(user.id)).map(info(tokenId));
  }

  @RequireStaff()
  @Query(() => [TokenInfo], { description: "Staff only: the tokens of one user (the admin panel's view)." })
  async tokens(@Arg("userId", () => ID) userId: string, @CurrentTokenId() tokenId: number): Promise<TokenInfo[]> {
    return (await this.tokenService.listForUser(userId)).map(info(tokenId));
  }

  @RequireStaff()
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

  @RequireUser()
  @Mutation(() => Boolean, {
    description:
      "Needs a user. No id: revoke the token of this request (log out). With an id: one of your own tokens, or anyone's for staff.",
  })
  revokeToken(
    @Arg("id", () => ID, { nullable: true }) id: string | null,
    @CurrentUser() user: AuthUser,
    @CurrentTokenId() tokenId: number,
  ) {
    return this.tokenService.revoke(user, id ?? String(tokenId));
  }

  @RequireUser()
  @Mutation(() => Int, { description: "Needs a user: revoke every token of the authenticated user; returns how many." })
  revokeAllTokens(@CurrentUser() user: AuthUser) {
    return this.tokenService.revokeAll(user.id);
  }
}
