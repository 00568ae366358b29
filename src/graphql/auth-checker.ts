import type { AuthChecker } from "type-graphql";
import { ForbiddenError, UnauthenticatedError } from "../shared/errors";
import type { Context } from "./context";

export const STAFF = "STAFF";

/**
 * `@Authorized()` needs a user (401), `@Authorized(STAFF)` a staff user (403).
 * It throws rather than returning false: type-graphql's own denial is a 200
 * with its own wording, and the contract wants DRF's messages and statuses.
 */
export const authChecker: AuthChecker<Context> = ({ context }, roles) => {
  if (!context.auth) throw new UnauthenticatedError();
  if (roles.includes(STAFF) && !context.auth.user.isStaff) throw new ForbiddenError();
  return true;
};
