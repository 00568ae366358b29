import { Authorized, Extensions, createParameterDecorator, type AuthChecker } from "type-graphql";
import { ForbiddenError, UnauthenticatedError } from "../shared/errors";
import type { AuthUser, Context } from "./context";

// Who may call a root field, said once per field with @RequireUser() or
// @RequireStaff(). Each marks the field twice over: as type-graphql's
// @Authorized (checked by authChecker when the resolver runs) and as the
// field's `access` extension, which lets the whole operation be refused
// before it runs (as DRF's permission classes refuse a whole request).

export type Access = "user" | "staff";
export const STAFF = "STAFF";

function access(level: Access): MethodDecorator {
  const authorized = level === "staff" ? Authorized(STAFF) : Authorized();
  const extension = Extensions({ access: level });
  return (target, key, descriptor) => {
    authorized(target, key, descriptor);
    extension(target, key, descriptor);
  };
}

/** Needs a user: 401 with DRF's message without one. */
export const RequireUser = () => access("user");
/** Staff only: 401 without a user, 403 for a non-staff user. */
export const RequireStaff = () => access("staff");

/**
 * It throws rather than returning false: type-graphql's own denial is a 200
 * with its own wording, and the contract wants DRF's messages and statuses.
 */
export const authChecker: AuthChecker<Context> = ({ context }, roles) => {
  if (!context.auth) throw new UnauthenticatedError();
  if (roles.includes(STAFF) && !context.auth.user.isStaff) throw new ForbiddenError();
  return true;
};

function authOf(context: Context) {
  if (!context.auth) throw new UnauthenticatedError();
  return context.auth;
}

/** The authenticated user; only on fields marked @RequireUser() or @RequireStaff(). */
export const CurrentUser = () => createParameterDecorator<Context>(({ context }): AuthUser => authOf(context).user);

/** The authenticated user, or null for an anonymous request. */
export const ViewerOrNull = () =>
  createParameterDecorator<Context>(({ context }): AuthUser | null => context.auth?.user ?? null);

/** The id of the key that authenticated this request. */
export const CurrentTokenId = () => createParameterDecorator<Context>(({ context }): number => authOf(context).tokenId);

/** The client's address, for per-address limits. */
export const ClientAddress = () => createParameterDecorator<Context>(({ context }): string => context.clientAddress);
