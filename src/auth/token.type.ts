import { Field, ID, Int, ObjectType } from "type-graphql";
import { User } from "../users/user.type";

@ObjectType({ description: "What is known of a token. The key itself is never shown again after it is issued." })
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

  @Field(() => User, { description: "The key's owner." })
  user!: User;
}

@ObjectType({ description: "One page of keys: `count` is the total that match, ignoring limit/offset." })
export class TokenList {
  @Field(() => Int)
  count!: number;

  @Field(() => [TokenInfo])
  results!: TokenInfo[];
}

@ObjectType({ description: "Returned whenever a key is issued: the only time the key is shown." })
export class TokenPayload {
  @Field({ description: "40 lowercase hex characters; send it as `Authorization: Token <token>`." })
  token!: string;

  @Field(() => Date, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => User)
  user!: User;
}
