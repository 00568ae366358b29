import type { FastifyRequest } from "fastify";
import type { ContainerType } from "type-graphql";
import type { UserModel } from "../db/models";
import { GraphQLError } from "graphql";
import { internalError } from "./internal-errors";

// What every resolver may know of its request, and the one function that
// builds it. Nothing here imports a feature folder: features import this.

/** The user behind a key, as every request sees it: never the password hash. */
export type AuthUser = Pick<
  UserModel,
  "id" | "username" | "email" | "isStaff" | "isActive" | "dateJoined" | "lastLogin"
>;

export interface Authenticated {
  user: AuthUser;
  /** The key (Token row) that authenticated this request. */
  tokenId: number;
}

export interface Context {
  /** Null for an anonymous request (no Authorization header of our scheme). */
  auth: Authenticated | null;
  /** The client's address, for per-address limits. */
  clientAddress: string;
  /** The HTTP request, for its log line and id. */
  request: FastifyRequest;
  /** This app's resolver instances (type-graphql asks it for each resolver class). */
  container: ContainerType;
}

export interface ContextDependencies {
  /**
   * DRF's authenticate(request): the user and key named by the Authorization
   * header, null when there is none of our scheme; throws UNAUTHENTICATED for
   * a malformed, unknown, expired or inactive one.
   */
  authenticate(header: string | undefined): Promise<Authenticated | null>;
  /** Counts an authenticated request against USER_RATE; throws TOO_MANY_REQUESTS. */
  throttleUser?: (userId: number) => Promise<void>;
  container: ContainerType;
}

/** Apollo's context function: one per app, called once per request. */
export function createContext(deps: ContextDependencies) {
  return async function context(request: FastifyRequest): Promise<Context> {
    try {
      const auth = await deps.authenticate(request.headers.authorization);
      if (auth) {
        request.graphql.userId = auth.user.id;
        await deps.throttleUser?.(auth.user.id);
      }
      return { auth, clientAddress: request.ip, request, container: deps.container };
    } catch (error) {
      // The contract's own refusals (401, 429) pass; anything else is ours.
      if (error instanceof GraphQLError) throw error;
      throw internalError(request, error);
    }
  };
}
