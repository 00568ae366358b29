import type { LoginThrottle } from "../auth/login-throttle";
import type { RegisterThrottle } from "../auth/register-throttle";
import { tokenName, type IssuedKey, type TokenService } from "../auth/token.service";
import { TRANSACTION_OPTIONS, type DatabaseHandle } from "../db/prisma";
import type { AuthUser } from "../graphql/context";
import { BadInputError, ForbiddenError, MESSAGES, NotFoundError } from "../shared/errors";
import { parseId, type Nullable } from "../shared/validation";
import { checkPassword, PASSWORD_MAX } from "../users/user.rules";
import { USERNAME_RAW_MAX } from "../users/username";
import type { NewUser, UserService } from "../users/user.service";

// The flows that touch a user and their keys together: logging in (DRF's
// obtain_auth_token), signing up and creating a user (each new user gets a
// key, as DRF's post_save signal gives one), changing a password (which ends
// every key issued with the old one), and a staff member issuing a key.
// Users' rows are written by UserService, keys' rows by TokenService; this
// is the one place that calls both.

export interface AccountServiceOptions {
  allowRegistration: boolean;
}

export interface KeyPayload extends IssuedKey {
  user: AuthUser;
}

export class AccountService {
  constructor(
    private readonly db: DatabaseHandle,
    private readonly users: UserService,
    private readonly tokens: TokenService,
    private readonly throttles: { login: LoginThrottle; register: RegisterThrottle },
    private readonly options: AccountServiceOptions,
  ) {}

  async obtainToken(
    input: { username: string; password: string; name?: string | null },
    address: string,
  ): Promise<KeyPayload> {
    // The name is checked first: a bad one is not a failed login.
    const name = tokenName(input.name, "login");
    // Longer than any username or password can be: refused on length alone,
    // before NFKC, hashing or the counters (no password is checked).
    if (input.username.length > USERNAME_RAW_MAX || input.password.length > PASSWORD_MAX) throw badCredentials();
    // The check's point is taken before the password is verified (see LoginThrottle).
    const attempt = await this.throttles.login.reserve(input.username, address);
    const checked = await this.users.verifyCredentials(input.username, input.password);
    if (!checked) throw badCredentials();
    await attempt.passed();
    // The key is inserted only while the password just checked is still the
    // user's (see TokenService.issue): a login racing a password change fails.
    const issued = await this.tokens.issue(checked.user.id, name, { credentialVersion: checked.credentialVersion });
    if (!issued) throw badCredentials();
    const now = new Date();
    await this.users.recordLogin(checked.user.id, now);
    return { ...issued, user: { ...checked.user, lastLogin: now } };
  }

  async register(input: NewUser, address: string): Promise<KeyPayload> {
    if (!this.options.allowRegistration) throw new ForbiddenError(MESSAGES.registrationClosed);
    await this.throttles.register.hit(address);
    return this.createUser(input, { allowStaff: false, tokenName: "signup" });
  }

  /** A new user and their first key, written together or not at all. */
  async createUser(input: NewUser, opts: { allowStaff: boolean; tokenName: string }): Promise<KeyPayload> {
    const data = await this.users.hashNew(this.users.validateNew(input, opts));
    return this.db.prisma.$transaction(async (tx) => {
      const user = await this.users.insert(data, tx);
      const issued = await this.tokens.issueOrNotFound(user.id, opts.tokenName, { tx });
      return { ...issued, user };
    }, TRANSACTION_OPTIONS);
  }

  /** Staff: a new key for any user, as the admin panel makes one. */
  async createToken(userId: string, name: string | null | undefined): Promise<KeyPayload> {
    const label = tokenName(name, "admin");
    const id = parseId(userId);
    if (id === null) throw new NotFoundError();
    const issued = await this.tokens.issueOrNotFound(id, label);
    const user = await this.users.get(userId);
    if (!user) throw new NotFoundError(); // deleted since, with the key
    return { ...issued, user };
  }

  /** The user's own change: checks the old password, ends every key, returns a fresh one. */
  async changePassword(user: AuthUser, oldPassword: string, newPassword: string, address: string): Promise<KeyPayload> {
    const wrongOld = () => BadInputError.field("oldPassword", MESSAGES.wrongOldPassword);
    if (oldPassword.length > PASSWORD_MAX) throw wrongOld();
    if (newPassword.length > PASSWORD_MAX) throw BadInputError.field("newPassword", MESSAGES.maxLength(PASSWORD_MAX));
    // The old password is a password check: it counts against LOGIN_RATE like a login.
    const attempt = await this.throttles.login.reserve(user.username, address);
    if ((await this.users.checkPassword(user.id, oldPassword)) === null) throw wrongOld();
    await attempt.passed();
    checkPassword(newPassword, user, "newPassword");
    return { ...(await this.setPassword(user.id, newPassword, "login")), user };
  }

  /** Staff's PATCH of a user: a new password also ends every key of that user. */
  async patchUser(
    id: string,
    input: Nullable<{ username: string; email: string; password: string; isStaff: boolean; isActive: boolean }>,
  ) {
    const { password, ...rest } = await this.users.validatePatch(id, input);
    const user = await this.users.patch(id, rest);
    if (password !== undefined) await this.setPassword(user.id, password, null);
    return user;
  }

  /**
   * Sets a password and revokes every key of the user. Bumping the
   * credential version first means a login that checked the old password
   * and has not inserted its key yet never will; revoking after it removes
   * any key such a login inserted before. `newKey` issues a fresh key after both.
   */
  async setPassword(userId: number, password: string, newKey: null): Promise<null>;
  async setPassword(userId: number, password: string, newKey: string): Promise<IssuedKey>;
  async setPassword(userId: number, password: string, newKey: string | null): Promise<IssuedKey | null> {
    const version = await this.users.setPassword(userId, password);
    await this.tokens.revokeAll(userId);
    if (newKey === null) return null;
    const issued = await this.tokens.issue(userId, newKey, { credentialVersion: version });
    // Only a second, concurrent change of the same password gets here.
    if (!issued) throw new NotFoundError();
    return issued;
  }
}

const badCredentials = () =>
  new BadInputError({ non_field_errors: [MESSAGES.badCredentials] }, MESSAGES.badCredentials);
