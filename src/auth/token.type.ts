import { Field, ID, ObjectType } from "type-graphql";
import { PaginatedResponse } from "../graphql/pagination";
import { Scope } from "../graphql/scopes";
import { User } from "../users/user.type";

@ObjectType({
  description: "What is known of a token. The key itself is never shown again after it is issued.",
  simpleResolvers: true,
})
export class TokenInfo {
  @Field(() => ID)
  id!: number;

  @Field({ description: 'A label: "login", "signup", "cli", "admin", or what the client asked for.' })
  name!: string;

  @Field({ description: "The first 8 characters of the key, to recognise it." })
  prefix!: string;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  expiresAt!: Date | null;

  @Field({ description: "True for the token that authenticated this request." })
  current!: boolean;

  @Field(() => [Scope], { nullable: true, description: "Null: everything its user may." })
  scopes!: Scope[] | null;

  @Field(() => User, { description: "Whose key it is." })
  user!: User;
}

@ObjectType({ description: "One page of keys, newest first.", simpleResolvers: true })
export class TokenList extends PaginatedResponse(TokenInfo) {}

@ObjectType({
  description: "Returned whenever a key is issued: the only time the key is shown.",
  simpleResolvers: true,
})
export class TokenPayload {
  @Field({ description: "40 lowercase hex characters; send it as `Authorization: Token <token>`." })
  token!: string;

  @Field(() => Date, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => [Scope], { nullable: true, description: "Null: everything its user may." })
  scopes!: Scope[] | null;

  @Field(() => User)
  user!: User;
}
