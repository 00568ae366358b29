import { Authorized, Directive, Extensions, createParameterDecorator, type AuthChecker } from "type-graphql";
import { ForbiddenError, UnauthenticatedError } from "../shared/errors";
import type { AuthUser, Context } from "./context";
import { requiresScopesDirective, type Scope, type ScopeRule } from "./scopes";

// Who may call a root field, said once per field with @RequireUser() or
// @RequireStaff(), and what a key's scopes must cover, with @RequiresScope()
// (scopes.ts). The first two mark the field twice over: as type-graphql's
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

function scopeRule(rule: ScopeRule): MethodDecorator {
  const extension = Extensions({ scopes: rule });
  const directive = Directive(requiresScopesDirective(rule));
  return (target, key, descriptor) => {
    extension(target, key, descriptor);
    directive(target, key, descriptor);
  };
}

/**
 * The scope a key with scopes needs to select this root field (a scope that
 * covers it does too: STUDENTS_WRITE covers STUDENTS_READ). Every root field
 * declares one, or @NeedsNoScope(); a key without scopes does all its user may.
 * `or`: other scopes that also let a key select it. `onlyWithArgument`: the
 * scope is needed only when that argument is given.
 */
export const RequiresScope = (scope: Scope, opts: { or?: Scope[]; onlyWithArgument?: string } = {}) =>
  scopeRule({
    scope,
    or: opts.or ?? [],
    ...(opts.onlyWithArgument ? { onlyWithArgument: opts.onlyWithArgument } : {}),
  });

/** Any key may select this root field, whatever its scopes (obtainToken, register: they need no key at all). */
export const NeedsNoScope = () => scopeRule({ scope: null, or: [] });

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

/** The user and key behind this request; only on fields marked @RequireUser() or @RequireStaff(). */
export const CurrentAuth = () => createParameterDecorator<Context>(({ context }) => authOf(context));

/** The id of the key that authenticated this request. */
export const CurrentTokenId = () => createParameterDecorator<Context>(({ context }): number => authOf(context).tokenId);

/** The client's address, for per-address limits. */
export const ClientAddress = () => createParameterDecorator<Context>(({ context }): string => context.clientAddress);
