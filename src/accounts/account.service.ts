import { AuthEventKind } from "../audit/audit-kind";
import type { Audit } from "../audit/audit-trail";
import type { LoginAttempt, LoginThrottle } from "../throttling/login-throttle";
import type { RegisterThrottle } from "../throttling/register-throttle";
import { tokenName, type IssuedKey, type KeyRequest, type TokenService } from "../auth/token.service";
import type { DatabaseHandle } from "../db/database";
import type { Authenticated, AuthUser } from "../graphql/context";
import type { Scope } from "../graphql/scopes";
import { BadInputError, ForbiddenError, MESSAGES, NotFoundError, ThrottledError } from "../shared/errors";
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

/** What the login flow reports for Prometheus (src/metrics/), when metrics are on. */
export interface LoginMetrics {
  /** accepted: the password was right; refused: wrong, unknown user or too long; throttled: LOGIN_RATE spent, not checked. */
  passwordChecked(result: "accepted" | "refused" | "throttled"): void;
  /** A password check waited for checks in progress to give LOGIN_RATE's points back before it was decided. */
  checkWaited(): void;
}

export interface AccountServiceOptions {
  allowRegistration: boolean;
  metrics?: LoginMetrics;
  audit: Audit;
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
    input: { username: string; password: string; name?: string | null } & KeyRequest,
    address: string,
  ): Promise<KeyPayload> {
    // The name, scopes and lifetime are checked first: a bad one is not a failed login.
    const name = tokenName(input.name, "login");
    const terms = this.tokens.terms(input);
    // Longer than any username or password can be: refused on length alone,
    // before NFKC, hashing or the counters (no password is checked).
    const given = { name: input.username };
    if (input.username.length > USERNAME_RAW_MAX || input.password.length > PASSWORD_MAX) throw this.refused(given);
    // The check's point is taken before the password is verified (see LoginThrottle).
    const attempt = await this.reserveCheck(input.username, address, "login", given);
    const checked = await settled(attempt, this.users.verifyCredentials(input.username, input.password));
    if (!checked) throw this.refused(given);
    this.tokens.checkHolder(terms, checked.user);
    // From here on the client is this user: they just proved their password.
    const self = { id: checked.user.id, name: checked.user.username };
    // The key is inserted only while the password just checked is still the
    // user's (see TokenService.issue): a login racing a password change fails.
    // Past TOKEN_LIMIT_PER_USER live keys: FORBIDDEN, as django-rest-knox answers.
    const issued = await this.tokens.issue(checked.user.id, name, {
      terms,
      credentialVersion: checked.credentialVersion,
      actor: self,
      withinLimit: true,
    });
    if (!issued) throw this.refused(given);
    this.options.metrics?.passwordChecked("accepted");
    this.options.audit.record({ kind: AuthEventKind.LOGIN_ACCEPTED, subject: self, actor: self });
    const now = new Date();
    await this.users.recordLogin(checked.user.id, now);
    return { ...issued, user: { ...checked.user, lastLogin: now } };
  }

  async register(input: NewUser, address: string): Promise<KeyPayload> {
    if (!this.options.allowRegistration) throw new ForbiddenError(MESSAGES.registrationClosed);
    await this.throttles.register.hit(address);
    return this.createUser(input, { allowStaff: false, tokenName: "signup", signup: true });
  }

  /** A new user and their first key, written together or not at all. */
  async createUser(
    input: NewUser,
    opts: { allowStaff: boolean; tokenName: string; signup?: boolean },
  ): Promise<KeyPayload> {
    const data = await this.users.hashNew(this.users.validateNew(input, opts));
    const created = await this.db.transaction(async (tx) => {
      const user = await this.users.insert(data, tx);
      const issued = await this.tokens.issueOrNotFound(user.id, opts.tokenName, { tx });
      return { ...issued, user };
    });
    // Recorded once committed. Signing up, the new user is their own actor.
    const { user } = created;
    const subject = { id: user.id, name: user.username };
    const actor = opts.signup ? subject : undefined;
    this.options.audit.record({
      kind: AuthEventKind.USER_CREATED,
      subject,
      actor,
      details: { isStaff: user.isStaff, signup: opts.signup === true },
    });
    this.tokens.recordIssued(user.id, created, opts.tokenName, actor);
    return created;
  }

  /** Staff: a new key for any user, as the admin panel makes one. */
  async createToken(userId: string, name: string | null | undefined, request: KeyRequest = {}): Promise<KeyPayload> {
    const label = tokenName(name, "admin");
    const terms = this.tokens.terms(request);
    const id = parseId(userId);
    if (id === null) throw new NotFoundError();
    const user = await this.users.get(userId);
    if (!user) throw new NotFoundError();
    this.tokens.checkHolder(terms, user);
    // A delete since the read above leaves no row to insert for: NOT_FOUND.
    const issued = await this.tokens.issueOrNotFound(id, label, { terms });
    return { ...issued, user };
  }

  /**
   * The user's own change: checks the old password, ends every key, returns
   * a fresh one with the scopes of the key that asked, which it replaces.
   */
  async changePassword(
    { user, scopes }: Pick<Authenticated, "user" | "scopes">,
    oldPassword: string,
    newPassword: string,
    address: string,
  ): Promise<KeyPayload> {
    const self = { id: user.id, name: user.username };
    const wrongOld = () => {
      this.options.metrics?.passwordChecked("refused");
      this.options.audit.record({
        kind: AuthEventKind.LOGIN_REFUSED,
        subject: self,
        details: { check: "oldPassword" },
      });
      return BadInputError.field("oldPassword", MESSAGES.wrongOldPassword);
    };
    if (oldPassword.length > PASSWORD_MAX) throw wrongOld();
    if (newPassword.length > PASSWORD_MAX) throw BadInputError.field("newPassword", MESSAGES.maxLength(PASSWORD_MAX));
    // The old password is a password check: it counts against LOGIN_RATE like a login.
    const attempt = await this.reserveCheck(user.username, address, "check", self);
    if ((await settled(attempt, this.users.checkPassword(user.id, oldPassword))) === null) throw wrongOld();
    this.options.metrics?.passwordChecked("accepted");
    checkPassword(newPassword, user, "newPassword");
    return { ...(await this.setPassword(user.id, newPassword, "login", scopes)), user };
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
   * LOGIN_RATE's reservation for one password check (and LOGIN_SUCCESS_RATE's,
   * for a login); a refusal counts as a throttled check.
   */
  private async reserveCheck(
    username: string,
    address: string,
    kind: "login" | "check",
    subject: { id?: number; name: string },
  ) {
    const throttle = this.throttles.login;
    try {
      const attempt = await (kind === "login"
        ? throttle.reserveLogin(username, address)
        : throttle.reserve(username, address));
      if (attempt.waited) this.options.metrics?.checkWaited();
      return attempt;
    } catch (e) {
      if (e instanceof ThrottledError) {
        this.options.metrics?.passwordChecked("throttled");
        this.options.audit.record({ kind: AuthEventKind.LOGIN_THROTTLED, subject });
      }
      throw e;
    }
  }

  /** A failed login, counted as a refused password check; `given`: the username as the client sent it. */
  private refused(given: { name: string }): BadInputError {
    this.options.metrics?.passwordChecked("refused");
    this.options.audit.record({ kind: AuthEventKind.LOGIN_REFUSED, subject: given });
    return badCredentials();
  }

  /**
   * Sets a password and revokes every key of the user. Bumping the
   * credential version first means a login that checked the old password
   * and has not inserted its key yet never will; revoking after it removes
   * any key such a login inserted before. `newKey` issues a fresh key after
   * both, named so, with `scopes` (null: all the user may).
   */
  async setPassword(userId: number, password: string, newKey: null): Promise<null>;
  async setPassword(
    userId: number,
    password: string,
    newKey: string,
    scopes: readonly Scope[] | null,
  ): Promise<IssuedKey>;
  async setPassword(
    userId: number,
    password: string,
    newKey: string | null,
    scopes: readonly Scope[] | null = null,
  ): Promise<IssuedKey | null> {
    const version = await this.users.setPassword(userId, password);
    await this.tokens.revokeAll(userId);
    if (newKey === null) return null;
    const issued = await this.tokens.issue(userId, newKey, {
      terms: { scopes: scopes && [...scopes] },
      credentialVersion: version,
    });
    // Only a second, concurrent change of the same password gets here.
    if (!issued) throw new NotFoundError();
    return issued;
  }
}

/**
 * The password check's outcome, with its reservation settled by it: points
 * given back for a right password (a value other than null), kept for a
 * wrong one or an error.
 */
async function settled<T>(attempt: LoginAttempt, check: Promise<T | null>): Promise<T | null> {
  let result: T | null = null;
  try {
    result = await check;
    return result;
  } finally {
    await (result === null ? attempt.failed() : attempt.passed());
  }
}

const badCredentials = () =>
  new BadInputError({ non_field_errors: [MESSAGES.badCredentials] }, MESSAGES.badCredentials);
