import type { DatabaseHandle } from "../db/prisma";
import { BadInputError, ForbiddenError, MESSAGES } from "../shared/errors";
import { verifyAgainstDummy, verifyPassword } from "../users/password-hasher";
import { tooLong } from "../shared/validation";
import {
  checkPassword,
  normalizeUsername,
  PASSWORD_MAX,
  USERNAME_RAW_MAX,
  type NewUser,
  type UserService,
} from "../users/user.service";
import type { LoginThrottle } from "./login-throttle";
import type { RegisterThrottle } from "./register-throttle";
import { tokenName, type AuthUser, type TokenService } from "./token.service";

// The ways a person gets a key for themselves: logging in (DRF's
// obtain_auth_token), signing up, changing their password.

export interface AuthServiceOptions {
  allowRegistration: boolean;
}

export class AuthService {
  constructor(
    private readonly db: DatabaseHandle,
    private readonly tokens: TokenService,
    private readonly users: UserService,
    private readonly throttle: LoginThrottle,
    private readonly options: AuthServiceOptions,
    private readonly registerThrottle: RegisterThrottle,
  ) {}

  async obtainToken(input: { username: string; password: string; name?: string | null }, address: string) {
    // The name is checked first: a bad one is not a failed login.
    const name = tokenName(input.name, "login");
    // Longer than any username or password can be: refused on length alone,
    // before NFKC, hashing or the counters (no password is checked).
    if (input.username.length > USERNAME_RAW_MAX || input.password.length > PASSWORD_MAX) throw badCredentials();
    // The check's point is taken before the password is verified (see LoginThrottle).
    const attempt = await this.throttle.reserve(input.username, address);
    const user = await this.checkCredentials(input.username, input.password);
    if (!user) throw badCredentials();
    await attempt.passed();
    const now = new Date();
    const [issued] = await Promise.all([
      this.tokens.issue(user.id, name),
      this.db.prisma.user.update({ where: { id: user.id }, data: { lastLogin: now } }),
    ]);
    const { password: _, ...publicUser } = user;
    return { ...issued, user: { ...publicUser, lastLogin: now } };
  }

  async register(input: NewUser, address: string) {
    if (!this.options.allowRegistration) throw new ForbiddenError(MESSAGES.registrationClosed);
    await this.registerThrottle.hit(address);
    return this.users.create(input, { allowStaff: false, tokenName: "signup" });
  }

  /** Revokes every key of the user and returns a fresh one. */
  async changePassword(user: AuthUser, oldPassword: string, newPassword: string, address: string) {
    const wrongOld = () => BadInputError.field("oldPassword", "Your old password was entered incorrectly. Please enter it again.");
    if (oldPassword.length > PASSWORD_MAX) throw wrongOld();
    if (newPassword.length > PASSWORD_MAX) throw BadInputError.field("newPassword", tooLong(PASSWORD_MAX));
    // The old password is a password check: it counts against LOGIN_RATE like a login.
    const attempt = await this.throttle.reserve(user.username, address);
    const stored = await this.db.prisma.user.findUnique({ where: { id: user.id }, select: { password: true } });
    if (!stored || !(await verifyPassword(stored.password, oldPassword))) throw wrongOld();
    await attempt.passed();
    checkPassword(newPassword, user, "newPassword");
    await this.users.setPassword(user.id, newPassword);
    return { ...(await this.tokens.issue(user.id, "login")), user };
  }

  /**
   * Django's authenticate(): the active user with this username and password,
   * or null. Unknown users cost one dummy hash check, so they take as long as
   * a wrong password and cannot be told apart by timing.
   */
  private async checkCredentials(username: string, password: string) {
    const name = normalizeUsername(username);
    const user = [...name].length <= 150 ? await this.users.findByUsername(name) : null;
    if (!user) return verifyAgainstDummy(password).then(() => null);
    const ok = await verifyPassword(user.password, password);
    return ok && user.isActive ? user : null;
  }
}

const badCredentials = () => new BadInputError({ non_field_errors: [MESSAGES.badCredentials] }, MESSAGES.badCredentials);
