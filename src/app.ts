import { AuthService } from "./auth/auth.service";
import { LoginThrottle } from "./auth/login-throttle";
import { RegisterThrottle } from "./auth/register-throttle";
import { TokenService } from "./auth/token.service";
import { UserThrottle } from "./auth/user-throttle";
import type { Config } from "./config/config";
import { connect, type DatabaseHandle } from "./db/prisma";
import type { Services } from "./graphql/context";
import { createLimiterStore, type LimiterFactory, type LimiterStore } from "./limits/rate-limiter";
import { StudentService } from "./students/student.service";
import { UserService } from "./users/user.service";

// The composition root: one database handle and one instance of each service
// per process, shared by the GraphQL layer and the manage command.

export interface App {
  config: Config;
  db: DatabaseHandle;
  services: Services;
  /** USER_RATE's counter for authenticated requests; null when it is off (the default). */
  userThrottle: UserThrottle | null;
  /** Where the limits' counters live. */
  limits: LimiterStore["kind"];
  close(): Promise<void>;
}

/** `limiters` replaces the store chosen from the configuration (see createLimiterStore). */
export function createApp(config: Config, opts: { limiters?: LimiterFactory } = {}): App {
  const db = connect(config.DATABASE_URL);
  const store: LimiterStore = opts.limiters
    ? { kind: "memory", limiters: opts.limiters, close: async () => undefined }
    : createLimiterStore(config);
  const tokens = new TokenService(db, { ttlSeconds: config.TOKEN_TTL });
  const users = new UserService(db, tokens);
  const throttle = new LoginThrottle(store.limiters, config.LOGIN_RATE);
  const registerThrottle = new RegisterThrottle(store.limiters, config.REGISTER_RATE);
  const auth = new AuthService(db, tokens, users, throttle, { allowRegistration: config.ALLOW_REGISTRATION }, registerThrottle);
  const students = new StudentService(db);
  return {
    config,
    db,
    services: { auth, tokens, users, students },
    userThrottle: config.USER_RATE ? new UserThrottle(store.limiters, config.USER_RATE) : null,
    limits: store.kind,
    async close() {
      await tokens.settle();
      await Promise.allSettled([store.close(), db.prisma.$disconnect()]);
    },
  };
}
