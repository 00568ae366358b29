import { performance } from "node:perf_hooks";
import type { DatabaseHandle, Executor } from "../db/database";
import { isUniqueViolation } from "../db/errors";
import { AuthEventKind } from "../audit/audit-kind";
import type { Audit } from "../audit/audit-trail";
import { BadInputError, NotFoundError, MESSAGES } from "../shared/errors";
import { searchTerms } from "../shared/search";
import { parseId, patchFields, validate, type Nullable } from "../shared/validation";
import { FailedLoginFloor } from "./failed-login-floor";
import { checkStoredPassword, hashPassword, verifyAgainstDummy, verifyPassword } from "./password-hasher";
import {
  countUsers,
  deleteUser,
  findLoginUser,
  findPassword,
  findUser,
  insertUser,
  listUsers,
  rehashPassword,
  setLastLogin,
  setPasswordHash,
  storedPasswords,
  updateUser,
  type ImportedUserRow,
  type PublicUserRow,
} from "./user.queries";
import { checkPassword, normalizeUsername, userSchemas } from "./user.rules";
import { UserOrder } from "./user.type";

// User rows, and only them: this is the one place that writes one, and the
// one place a password is set or checked. Flows that also touch keys (sign
// up, log in, change a password) are in accounts/.

export { normalizeUsername, userSchemas };

export interface NewUser {
  username: string;
  email: string;
  password: string;
  isStaff?: boolean | null;
}

/** A user as `manage import-django` brings it: every column but the id and the credential version. */
export type ImportedUser = ImportedUserRow;

export interface ListQuery {
  limit?: number | null;
  offset?: number | null;
  search?: string | null;
  isStaff?: boolean | null;
  isActive?: boolean | null;
  orderBy?: UserOrder | null;
}

/** A user whose password was just checked, with the version of that password. */
export interface Credentials {
  user: {
    id: number;
    username: string;
    email: string;
    isStaff: boolean;
    isActive: boolean;
    dateJoined: Date;
    lastLogin: Date | null;
  };
  credentialVersion: number;
}

export class UserService {
  /** What a failed login waits for at least: the slowest stored hash's check (failed-login-floor.ts). */
  readonly failedLoginFloor: FailedLoginFloor;

  constructor(
    private readonly db: DatabaseHandle,
    private readonly audit: Audit,
  ) {
    this.failedLoginFloor = new FailedLoginFloor((after, limit) => storedPasswords(this.db.kysely, after, limit));
  }

  /** The input rules of a new user, checked before any work (hashing, a transaction). */
  validateNew(input: NewUser, opts: { allowStaff: boolean }) {
    const data = validate(userSchemas.newUser, { ...input, isStaff: input.isStaff ?? false });
    checkPassword(data.password, data);
    return { ...data, isStaff: opts.allowStaff && data.isStaff };
  }

  /**
   * The password of a user validated by validateNew, hashed: before any
   * transaction, so a transaction never waits on argon2 (on SQLite's one
   * connection, 20 parallel sign-ups hashing inside theirs timed out waiting
   * to start: INTERNAL_SERVER_ERROR).
   */
  async hashNew(data: ReturnType<UserService["validateNew"]>) {
    return { ...data, password: await hashPassword(data.password) };
  }

  /** Inserts a user validated by validateNew, with its password hashed by hashNew. */
  async insert(data: Awaited<ReturnType<UserService["hashNew"]>>, tx: Executor = this.db.kysely) {
    try {
      const { username, email, password, isStaff } = data;
      return await insertUser(tx, { username, email, password, isStaff }, new Date());
    } catch (e) {
      throw translate(e);
    }
  }

  list(query: ListQuery) {
    const args = validate(userSchemas.list, query);
    return listUsers(this.db.kysely, this.db.provider, {
      terms: searchTerms(args.search),
      isStaff: args.isStaff,
      isActive: args.isActive,
      order: query.orderBy ?? UserOrder.ID_ASC,
      limit: args.limit,
      offset: args.offset,
    });
  }

  /** How many users there are (the start-up line says when there are none). */
  count(): Promise<number> {
    return countUsers(this.db.kysely);
  }

  get(id: string) {
    const key = parseId(id);
    return key === null ? null : findUser(this.db.kysely, { id: key });
  }

  findByUsername(username: string) {
    return findUser(this.db.kysely, { username: normalizeUsername(username) });
  }

  /**
   * Django's authenticate(): the active user with this username and password,
   * or null. Unknown users cost one dummy hash check, so they take as long as
   * a wrong password and cannot be told apart by timing.
   */
  async verifyCredentials(username: string, password: string): Promise<Credentials | null> {
    const started = performance.now();
    const name = normalizeUsername(username);
    const row = [...name].length <= 150 ? await findLoginUser(this.db.kysely, name) : null;
    if (!row) {
      await verifyAgainstDummy(password);
      return this.failed(started);
    }
    const { password: stored, credentialVersion, ...user } = row;
    const { ok, needsRehash } = await checkStoredPassword(stored, password);
    if (needsRehash) {
      // An imported Django hash becomes ours on the first right password, as
      // Django upgrades hashes; only if no one changed the password meanwhile.
      // The password is the same, so the credential version stays.
      const hashed = await hashPassword(password);
      await rehashPassword(this.db.kysely, user.id, stored, hashed);
    }
    return ok && user.isActive ? { user, credentialVersion } : this.failed(started);
  }

  /** A failed check answers no sooner than the failed-login floor, whichever path it took. */
  private async failed(started: number): Promise<null> {
    await this.failedLoginFloor.pad(started);
    return null;
  }

  /** The current password's version of an existing user, for a key issued with it. */
  async checkPassword(userId: number, password: string): Promise<number | null> {
    const row = await findPassword(this.db.kysely, userId);
    if (!row || !(await verifyPassword(row.password, password))) return null;
    return row.credentialVersion;
  }

  async recordLogin(userId: number, at: Date): Promise<void> {
    await setLastLogin(this.db.kysely, userId, at);
  }

  /** PUT: username and email. */
  async update(id: string, input: unknown) {
    const data = validate(userSchemas.profile, input);
    const user = await this.save(id, data);
    this.recordChange(user, data);
    return user;
  }

  /** The rules of a PATCH, checked before any write (a password is checked against the new username and email). */
  async validatePatch(
    id: string,
    input: Nullable<{ username: string; email: string; password: string; isStaff: boolean; isActive: boolean }>,
  ) {
    const data = validate(userSchemas.patch, patchFields(input));
    if (data.password !== undefined) {
      const current = await this.get(id);
      if (!current) throw new NotFoundError();
      checkPassword(data.password, { username: data.username ?? current.username, email: data.email ?? current.email });
    }
    return data;
  }

  /** PATCH without a password (accounts/ handles the password, which also ends the user's keys). */
  async patch(id: string, data: Omit<Awaited<ReturnType<UserService["validatePatch"]>>, "password">) {
    const user = await this.save(id, data);
    this.recordChange(user, data);
    return user;
  }

  /** A change's audit event: which fields were given (the flags with their values), never a password. */
  private recordChange(
    user: { id: number; username: string },
    data: { username?: string; email?: string; isStaff?: boolean; isActive?: boolean },
  ) {
    const fields = Object.keys(data).sort();
    if (fields.length === 0) return;
    this.audit.record({
      kind: data.isActive === false ? AuthEventKind.USER_DEACTIVATED : AuthEventKind.USER_UPDATED,
      subject: { id: user.id, name: user.username },
      details: { fields, isStaff: data.isStaff, isActive: data.isActive },
    });
  }

  /**
   * Sets a password (its rules already checked) and bumps the credential
   * version, so that no key can be issued any more for a login that checked
   * the old password. Returns the new version.
   */
  async setPassword(userId: number, password: string, tx: Executor = this.db.kysely): Promise<number> {
    return this.storePassword(userId, await hashPassword(password), tx);
  }

  /** setPassword() with the hash already made (hashing stays out of transactions). */
  async storePassword(userId: number, hashed: string, tx: Executor = this.db.kysely): Promise<number> {
    const version = await setPasswordHash(tx, userId, hashed);
    if (version === null) throw new NotFoundError();
    this.audit.record({ kind: AuthEventKind.PASSWORD_CHANGED, subject: { id: userId } });
    return version;
  }

  async delete(id: string): Promise<true> {
    const key = parseId(id);
    if (key === null) throw new NotFoundError();
    // Keys go with the user (ON DELETE CASCADE).
    const username = await deleteUser(this.db.kysely, key);
    if (username === null) throw new NotFoundError();
    this.audit.record({ kind: AuthEventKind.USER_DELETED, subject: { id: key, name: username } });
    return true;
  }

  private async save(
    id: string,
    data: { username?: string; email?: string; isStaff?: boolean; isActive?: boolean },
    tx: Executor = this.db.kysely,
  ): Promise<PublicUserRow> {
    const key = parseId(id);
    if (key === null) throw new NotFoundError();
    let row: PublicUserRow | null;
    try {
      row = await updateUser(tx, key, data);
    } catch (e) {
      throw translate(e);
    }
    if (!row) throw new NotFoundError();
    return row;
  }
}

function translate(error: unknown): unknown {
  if (isUniqueViolation(error, "User", "username")) return BadInputError.field("username", MESSAGES.usernameTaken);
  return error;
}
