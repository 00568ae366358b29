import { Args, Query, Resolver } from "type-graphql";
import { RequireStaff, RequiresScope } from "../graphql/access";
import { Scope } from "../graphql/scopes";
import type { AuditService } from "./audit.service";
import { AuthEvent, AuthEventArgs, AuthEventList } from "./audit.type";

@Resolver(() => AuthEvent)
export class AuditResolver {
  constructor(private readonly audit: AuditService) {}

  @RequireStaff()
  @RequiresScope(Scope.ADMIN)
  @Query(() => AuthEventList, { description: "Staff only: the audit trail of authentication events, newest first." })
  authEvents(@Args(() => AuthEventArgs) args: AuthEventArgs): Promise<AuthEventList> {
    const { kind, ...rest } = args;
    return this.audit.list({ ...rest, kinds: kind ? [kind] : null }) as Promise<AuthEventList>;
  }
}
