import type { ContainerType } from "type-graphql";
import { AccountResolver } from "./accounts/account.resolver";
import { AccountService } from "./accounts/account.service";
import { LoginThrottle } from "./auth/login-throttle";
import { RegisterThrottle } from "./auth/register-throttle";
import { TokenResolver } from "./auth/token.resolver";
import { TokenService } from "./auth/token.service";
import { UserThrottle } from "./auth/user-throttle";
import type { Config } from "./config/config";
import { connect, type DatabaseHandle } from "./db/prisma";
import { createLimiterStore, type LimiterStore } from "./limits/rate-limiter";
import { StudentResolver } from "./students/student.resolver";
import { StudentService } from "./students/student.service";
import { UserResolver } from "./users/user.resolver";
import { UserService } from "./users/user.service";

// The composition root: one database handle, one instance of each service
// and of each resolver per app, wired by hand. The GraphQL layer, the manage
// command and the tests all start here.

export interface Services {
  accounts: AccountService;
  tokens: TokenService;
  users: UserService;
  students: StudentService;
}

export interface App {
  config: Config;
  db: DatabaseHandle;
  services: Services;
  /** What type-graphql asks for each resolver class: this app's instance. */
  resolvers: ContainerType;
  /** USER_RATE's counter for authenticated requests; null when it is off (the default). */
  userThrottle: UserThrottle | null;
  /** Where the limits' counters live. */
  limits: LimiterStore["kind"];
  /** Waits for the limits' store (Redis's first connection); false when it did not come in time. */
  limitsReady(): Promise<boolean>;
  close(): Promise<void>;
}

export function createApp(config: Config): App {
  const db = connect(config.DATABASE_URL);
  const store = createLimiterStore(config);
  const tokens = new TokenService(db, { ttlSeconds: config.TOKEN_TTL });
  const users = new UserService(db);
  const throttle = new LoginThrottle(store.limiters, config.LOGIN_RATE);
  const registerThrottle = new RegisterThrottle(store.limiters, config.REGISTER_RATE);
  const accounts = new AccountService(
    db,
    users,
    tokens,
    { login: throttle, register: registerThrottle },
    { allowRegistration: config.ALLOW_REGISTRATION },
  );
  const students = new StudentService(db);
  const instances = new Map<unknown, unknown>([
    [AccountResolver, new AccountResolver(accounts)],
    [TokenResolver, new TokenResolver(tokens)],
    [StudentResolver, new StudentResolver(students)],
    [UserResolver, new UserResolver(users)],
  ]);
  return {
    config,
    db,
    services: { accounts, tokens, users, students },
    resolvers: {
      get(resolverClass: unknown) {
        const instance = instances.get(resolverClass);
        if (!instance) throw new Error(`no instance of resolver ${String(resolverClass)} in this app`);
        return instance;
      },
    },
    userThrottle: config.USER_RATE ? new UserThrottle(store.limiters, config.USER_RATE) : null,
    limits: store.kind,
    limitsReady: () => store.ready(),
    async close() {
      await tokens.settle();
      await Promise.allSettled([store.close(), db.close()]);
    },
  };
}
