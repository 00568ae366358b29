import type { DatabaseHandle } from "../db/prisma";
import { BadInputError, ForbiddenError, MESSAGES } from "../shared/errors";
import { checkStoredPassword, hashPassword, verifyAgainstDummy, verifyPassword } from "../users/password-hasher";
import { checkPassword, normalizeUsername, type NewUser, type UserService } from "../users/user.service";
import type { LoginThrottle } from "./login-throttle";
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
  ) {}

  async obtainToken(input: { username: string; password: string; name?: string | null }, address: string) {
    // The name is checked first: a bad one is not a failed login.
    const name = tokenName(input.name, "login");
    await this.throttle.check(input.username, address);
    const user = await this.checkCredentials(input.username, input.password);
    if (!user) {
      await this.throttle.failed(input.username, address);
      throw new BadInputError({ non_field_errors: [MESSAGES.badCredentials] }, MESSAGES.badCredentials);
    }
    const now = new Date();
    const [issued] = await Promise.all([
      this.tokens.issue(user.id, name),
      this.db.prisma.user.update({ where: { id: user.id }, data: { lastLogin: now } }),
    ]);
    const { password: _, ...publicUser } = user;
    return { ...issued, user: { ...publicUser, lastLogin: now } };
  }

  register(input: NewUser) {
    if (!this.options.allowRegistration) throw new ForbiddenError(MESSAGES.registrationClosed);
    return this.users.create(input, { allowStaff: false, tokenName: "signup" });
  }

  /** Revokes every key of the user and returns a fresh one. */
  async changePassword(user: AuthUser, oldPassword: string, newPassword: string) {
    const stored = await this.db.prisma.user.findUnique({ where: { id: user.id }, select: { password: true } });
    if (!stored || !(await verifyPassword(stored.password, oldPassword))) {
      throw BadInputError.field("oldPassword", "Your old password was entered incorrectly. Please enter it again.");
    }
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
    const { ok, needsRehash } = await checkStoredPassword(user.password, password);
    if (needsRehash) {
      // An imported Django hash becomes ours on the first right password, as Django upgrades
      // hashes; only if no one changed the password meanwhile.
      const hashed = await hashPassword(password);
      await this.db.prisma.user.updateMany({ where: { id: user.id, password: user.password }, data: { password: hashed } });
    }
    return ok && user.isActive ? user : null;
  }
}
