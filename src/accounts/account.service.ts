import type { LoginThrottle } from "../auth/login-throttle";
import { tokenName, type IssuedKey, type TokenService } from "../auth/token.service";
import type { DatabaseHandle } from "../db/prisma";
import type { AuthUser } from "../graphql/context";
import { BadInputError, ForbiddenError, MESSAGES, NotFoundError } from "../shared/errors";
import { parseId, type Nullable } from "../shared/validation";
import { checkPassword } from "../users/user.rules";
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
    private readonly throttle: LoginThrottle,
    private readonly options: AccountServiceOptions,
  ) {}

  async obtainToken(input: { username: string; password: string; name?: string | null }, address: string): Promise<KeyPayload> {
    // The name is checked first: a bad one is not a failed login.
    const name = tokenName(input.name, "login");
    await this.throttle.check(input.username, address);
    const checked = await this.users.verifyCredentials(input.username, input.password);
    // The key is inserted only while the password just checked is still the
    // user's (see TokenService.issue): a login racing a password change fails.
    const issued = checked && (await this.tokens.issue(checked.user.id, name, { credentialVersion: checked.credentialVersion }));
    if (!checked || !issued) {
      await this.throttle.failed(input.username, address);
      throw new BadInputError({ non_field_errors: [MESSAGES.badCredentials] }, MESSAGES.badCredentials);
    }
    const now = new Date();
    await this.users.recordLogin(checked.user.id, now);
    return { ...issued, user: { ...checked.user, lastLogin: now } };
  }

  register(input: NewUser): Promise<KeyPayload> {
    if (!this.options.allowRegistration) throw new ForbiddenError(MESSAGES.registrationClosed);
    return this.createUser(input, { allowStaff: false, tokenName: "signup" });
  }

  /** A new user and their first key, written together or not at all. */
  async createUser(input: NewUser, opts: { allowStaff: boolean; tokenName: string }): Promise<KeyPayload> {
    const data = this.users.validateNew(input, opts);
    return this.db.prisma.$transaction(async (tx) => {
      const user = await this.users.insert(data, tx);
      const issued = await this.tokens.issueOrNotFound(user.id, opts.tokenName, { tx });
      return { ...issued, user };
    });
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
    await this.throttle.check(user.username, address);
    if ((await this.users.checkPassword(user.id, oldPassword)) === null) {
      await this.throttle.failed(user.username, address);
      throw BadInputError.field("oldPassword", MESSAGES.wrongOldPassword);
    }
    checkPassword(newPassword, user, "newPassword");
    return { ...(await this.setPassword(user.id, newPassword, "login")), user };
  }

  /** Staff's PATCH of a user: a new password also ends every key of that user. */
  async patchUser(id: string, input: Nullable<{ username: string; email: string; password: string; isStaff: boolean; isActive: boolean }>) {
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
