import { GraphQLJSONObject } from "graphql-scalars";
import { ArgsType, Field, ID, Int, ObjectType } from "type-graphql";
import { PaginatedResponse } from "../graphql/pagination";
import { AuthEventKind } from "./audit-kind";

@ObjectType({
  description: "One authentication event of the audit trail. Never holds a password, a key or a digest.",
  simpleResolvers: true,
})
export class AuthEvent {
  @Field(() => ID)
  id!: number;

  @Field({ description: "When it happened." })
  createdAt!: Date;

  @Field(() => AuthEventKind)
  kind!: AuthEventKind;

  @Field(() => ID, {
    nullable: true,
    description: "The user who did it; null for a manage command or an anonymous client.",
  })
  actorId!: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'Their username, or the manage command ("manage changepassword"); null for an anonymous client.',
  })
  actorName!: string | null;

  @Field(() => ID, { nullable: true, description: "The user it concerns; null for a username that matches no user." })
  subjectId!: number | null;

  @Field(() => String, { nullable: true, description: "Their username (as given, for a refused login)." })
  subjectName!: string | null;

  @Field(() => String, { nullable: true, description: "The client's address; null outside a request." })
  clientAddress!: string | null;

  @Field(() => String, { nullable: true, description: "The client's User-Agent, at most 256 characters." })
  userAgent!: string | null;

  @Field(() => String, { nullable: true, description: "The request's X-Request-ID (sent back in every answer)." })
  requestId!: string | null;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: "The kind's own facts: a key's name, prefix, scopes and expiry; counts; the fields changed.",
  })
  details!: Record<string, unknown> | null;
}

@ObjectType({ description: "One page of audit events, newest first.", simpleResolvers: true })
export class AuthEventList extends PaginatedResponse(AuthEvent) {}

@ArgsType()
export class AuthEventArgs {
  @Field(() => AuthEventKind, { nullable: true, description: "Only events of this kind." })
  kind?: AuthEventKind | null;

  @Field(() => ID, { nullable: true, description: "Only events by or about this user." })
  userId?: string | null;

  @Field(() => Date, { nullable: true, description: "Only events at or after this time." })
  since?: Date | null;

  @Field(() => Date, { nullable: true, description: "Only events before this time." })
  until?: Date | null;

  @Field(() => Int, { nullable: true, defaultValue: 20 })
  limit?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 0 })
  offset?: number | null;
}
