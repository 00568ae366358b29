import type { FastifyRequest } from "fastify";
import type { AuthService } from "../auth/auth.service";
import type { Authenticated, TokenService } from "../auth/token.service";
import type { StudentService } from "../students/student.service";
import type { UserService } from "../users/user.service";

export interface Services {
  auth: AuthService;
  tokens: TokenService;
  users: UserService;
  students: StudentService;
}

export interface Context {
  /** Null for an anonymous request (no Authorization header). */
  auth: Authenticated | null;
  services: Services;
  /** The client's address, for per-address limits. */
  clientAddress: string;
  /** The HTTP request, for its log line. */
  request: FastifyRequest;
}
