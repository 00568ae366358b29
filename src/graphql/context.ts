import type { FastifyRequest } from "fastify";
import type { ContainerType } from "type-graphql";
import type { UserModel } from "../db/models";
import { contextRefusal } from "./error-shape";
import type { Scope } from "./scopes";

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
  /** What that key may do; null: everything its user may. */
  scopes: readonly Scope[] | null;
}

export interface Context {
  /** Null for an anonymous request (no Authorization header of our scheme). */
  auth: Authenticated | null;
  /** The client's address, for per-address limits: IPv4-mapped IPv6 unwrapped, IPv6 as its IPV6_PREFIX network. */
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
  /** The client as per-address limits count it, from the address Fastify found (request.ip). */
  clientAddress(ip: string): string;
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
        request.graphql.username = auth.user.username;
        await deps.throttleUser?.(auth.user.id);
      }
      return new RequestContext(auth, request, deps.container, (ip) => deps.clientAddress(ip));
    } catch (error) {
      // Before any plugin runs: the refusal carries its own status and headers.
      throw contextRefusal(request, error);
    }
  };
}

/**
 * The client address is parsed when first asked for (logins, sign-ups,
 * audit): reads never need it. The getter lives on the prototype because
 * Apollo Server copies the context's own enumerable properties into a new
 * object for each operation (`Object.assign`), which would run an own
 * getter at once; the copy keeps the prototype, and so the laziness.
 */
class RequestContext implements Context {
  private parsedAddress: string | undefined = undefined;

  constructor(
    readonly auth: Authenticated | null,
    readonly request: FastifyRequest,
    readonly container: ContainerType,
    private readonly parseAddress: (ip: string) => string,
  ) {}

  get clientAddress(): string {
    return (this.parsedAddress ??= this.parseAddress(this.request.ip));
  }
}
