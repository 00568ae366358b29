import type { UserModel } from "../db/models";
import type { DatabaseHandle, Transaction } from "../db/prisma";
import { BadInputError, NotFoundError, MESSAGES } from "../shared/errors";
import { isRecordMissing, isUniqueViolation } from "../shared/prisma-errors";
import { searchTerms } from "../shared/search";
import { parseId, patchFields, validate, type Nullable } from "../shared/validation";
import { checkStoredPassword, hashPassword, verifyAgainstDummy, verifyPassword } from "./password-hasher";
import { findLoginUser, listUsers, rehashPassword, setLastLogin } from "./user.queries";
import { checkPassword, normalizeUsername, userSchemas } from "./user.rules";
import { UserOrder } from "./user.type";

// User rows, and only them: this is the one place that writes one, and the
// one place a password is set or checked. Flows that also touch keys (sign
// up, log in, change a password) are in accounts/.

export { normalizeUsername, userSchemas };

/** Every column but the password hash. */
const PUBLIC = { password: true, credentialVersion: true } as const;

export interface NewUser {
  username: string;
  email: string;
  password: string;
  isStaff?: boolean | null;
}

/** A user as `manage import-django` brings it: every column but the id and the credential version. */
export type ImportedUser = Omit<UserModel, "id" | "credentialVersion">;

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
  constructor(private readonly db: DatabaseHandle) {}

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
  async insert(data: Awaited<ReturnType<UserService["hashNew"]>>, tx: Transaction = this.db.prisma) {
    try {
      return await tx.user.create({
        data: { username: data.username, email: data.email, password: data.password, isStaff: data.isStaff },
        omit: PUBLIC,
      });
    } catch (e) {
      throw translate(e);
    }
  }

  list(query: ListQuery) {
    const args = validate(userSchemas.list, query);
    return listUsers(this.db.sql, this.db.provider, {
      terms: searchTerms(args.search),
      isStaff: args.isStaff,
      isActive: args.isActive,
      order: query.orderBy ?? UserOrder.ID_ASC,
      limit: args.limit,
      offset: args.offset,
    });
  }

  get(id: string) {
    const key = parseId(id);
    return key === null ? null : this.db.prisma.user.findUnique({ where: { id: key }, omit: PUBLIC });
  }

  findByUsername(username: string) {
    return this.db.prisma.user.findUnique({ where: { username: normalizeUsername(username) }, omit: PUBLIC });
  }

  /**
   * Django's authenticate(): the active user with this username and password,
   * or null. Unknown users cost one dummy hash check, so they take as long as
   * a wrong password and cannot be told apart by timing.
   */
  async verifyCredentials(username: string, password: string): Promise<Credentials | null> {
    const name = normalizeUsername(username);
    const row = [...name].length <= 150 ? await findLoginUser(this.db.sql, name) : null;
    if (!row) return verifyAgainstDummy(password).then(() => null);
    const { password: stored, credentialVersion, ...user } = row;
    const { ok, needsRehash } = await checkStoredPassword(stored, password);
    if (needsRehash) {
      // An imported Django hash becomes ours on the first right password, as
      // Django upgrades hashes; only if no one changed the password meanwhile.
      // The password is the same, so the credential version stays.
      const hashed = await hashPassword(password);
      await rehashPassword(this.db.sql, user.id, stored, hashed);
    }
    return ok && user.isActive ? { user, credentialVersion } : null;
  }

  /** The current password's version of an existing user, for a key issued with it. */
  async checkPassword(userId: number, password: string): Promise<number | null> {
    const row = await this.db.prisma.user.findUnique({
      where: { id: userId },
      select: { password: true, credentialVersion: true },
    });
    if (!row || !(await verifyPassword(row.password, password))) return null;
    return row.credentialVersion;
  }

  async recordLogin(userId: number, at: Date): Promise<void> {
    await setLastLogin(this.db.sql, userId, at);
  }

  /** PUT: username and email. */
  update(id: string, input: unknown) {
    return this.save(id, validate(userSchemas.profile, input));
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
  patch(id: string, data: Omit<Awaited<ReturnType<UserService["validatePatch"]>>, "password">, tx?: Transaction) {
    return this.save(id, data, tx);
  }

  /**
   * Sets a password (its rules already checked) and bumps the credential
   * version, so that no key can be issued any more for a login that checked
   * the old password. Returns the new version.
   */
  async setPassword(userId: number, password: string, tx: Transaction = this.db.prisma): Promise<number> {
    const hashed = await hashPassword(password);
    try {
      const { credentialVersion } = await tx.user.update({
        where: { id: userId },
        data: { password: hashed, credentialVersion: { increment: 1 } },
        select: { credentialVersion: true },
      });
      return credentialVersion;
    } catch (e) {
      throw translate(e);
    }
  }

  /** Which of these usernames are taken (as stored, no normalisation). */
  async existingUsernames(usernames: string[], tx: Transaction = this.db.prisma): Promise<string[]> {
    const rows = await tx.user.findMany({ where: { username: { in: usernames } }, select: { username: true } });
    return rows.map((u) => u.username);
  }

  /**
   * Inserts users imported with their password hashes as they are (Django's:
   * checked, then upgraded on login). For `manage import-django`, inside its transaction.
   */
  importMany(rows: ImportedUser[], tx: Transaction) {
    return tx.user.createManyAndReturn({ data: rows, select: { id: true, username: true } });
  }

  async delete(id: string): Promise<true> {
    const key = parseId(id);
    if (key === null) throw new NotFoundError();
    try {
      // Keys go with the user (ON DELETE CASCADE).
      await this.db.prisma.user.delete({ where: { id: key } });
      return true;
    } catch (e) {
      throw translate(e);
    }
  }

  private async save(
    id: string,
    data: { username?: string; email?: string; isStaff?: boolean; isActive?: boolean },
    tx: Transaction = this.db.prisma,
  ) {
    const key = parseId(id);
    if (key === null) throw new NotFoundError();
    try {
      return await tx.user.update({ where: { id: key }, data, omit: PUBLIC });
    } catch (e) {
      throw translate(e);
    }
  }
}

function translate(error: unknown): unknown {
  if (isUniqueViolation(error, "User", "username")) return BadInputError.field("username", MESSAGES.usernameTaken);
  if (isRecordMissing(error)) return new NotFoundError();
  return error;
}
