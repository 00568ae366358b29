import { z } from "zod";
import type { TokenService } from "../auth/token.service";
import type { DatabaseHandle } from "../db/prisma";
import { BadInputError, NotFoundError } from "../shared/errors";
import { isRecordMissing, isUniqueViolation } from "../shared/prisma-errors";
import { pagedRows } from "../shared/paged-query";
import { searchCondition } from "../shared/search";
import { page, parseId, patchFields, validate, type Nullable } from "../shared/validation";
import { hashPassword } from "./password-hasher";
import { passwordProblems } from "./password-rules";
import { UserOrder } from "./user.type";
import { Prisma } from "../generated/sqlite/client";

// Users, with Django's rules for usernames, emails and passwords. Creating a
// user always issues its first key in the same write: this is the one code
// path that register, createUser and `manage createsuperuser` share, as DRF's
// post_save signal gives every new user a token.

const USERNAME_TAKEN = "A user with that username already exists.";

/**
 * A username as it is stored and looked up: DRF's CharField trims it and
 * Django normalises it with NFKC. Logging in applies the same, so whatever
 * was accepted at sign-up logs in.
 */
export const normalizeUsername = (username: string) => username.trim().normalize("NFKC");

// DRF's CharField trims and stops at "blank"; then Django's length and
// character validators each report.
export const usernameField = z
  .string()
  .transform(normalizeUsername)
  .pipe(
    z
      .string()
      .min(1, { message: "This field may not be blank.", abort: true })
      .refine((s) => [...s].length <= 150, "Ensure this field has no more than 150 characters.")
      .refine(
        (s) => /^[\p{L}\p{N}\p{M}_.@+-]+$/u.test(s),
        "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
      ),
  );

const emailField = z
  .string()
  .trim()
  .max(254, "Ensure this field has no more than 254 characters.")
  .refine((s) => s === "" || z.email().safeParse(s).success, "Enter a valid email address.")
  // Django lower-cases the domain part only.
  .transform((s) => (s.includes("@") ? s.replace(/@[^@]*$/, (d) => d.toLowerCase()) : s));

const passwordField = z
  .string()
  .min(1, "This field may not be blank.")
  .max(4096, "Ensure this field has no more than 4096 characters.");

const newUser = z.object({ username: usernameField, email: emailField, password: passwordField, isStaff: z.boolean() });
const profile = z.object({ username: usernameField, email: emailField });
const patch = z.object({
  username: usernameField.optional(),
  email: emailField.optional(),
  password: passwordField.optional(),
  isStaff: z.boolean().optional(),
  isActive: z.boolean().optional(),
});
const listArgs = z.object({
  ...page,
  isStaff: z.boolean().nullish(),
  isActive: z.boolean().nullish(),
  orderBy: z.nativeEnum(UserOrder),
});

const ORDER: Record<UserOrder, string> = {
  ID_ASC: `"id" ASC`,
  ID_DESC: `"id" DESC`,
  // Usernames are unique; dates are not, so id breaks ties and pages never overlap.
  USERNAME_ASC: `"username" ASC`,
  USERNAME_DESC: `"username" DESC`,
  DATE_JOINED_ASC: `"dateJoined" ASC, "id" ASC`,
  DATE_JOINED_DESC: `"dateJoined" DESC, "id" DESC`,
};

/** The input rules, for tests that feed them arbitrary values. */
export const userSchemas = { newUser, profile, patch, list: listArgs };

const PUBLIC = { password: true } as const;
const PUBLIC_COLUMNS = ["id", "username", "email", "isStaff", "isActive", "dateJoined", "lastLogin"] as const;
type PublicUser = { id: number; username: string; email: string; isStaff: boolean; isActive: boolean; dateJoined: Date; lastLogin: Date | null };

/** Throws BAD_USER_INPUT on `field` when the password breaks a rule. */
export function checkPassword(password: string, user: { username?: string; email?: string }, field = "password") {
  const problems = passwordProblems(password, user);
  if (problems.length > 0) throw new BadInputError({ [field]: problems });
}

export interface NewUser {
  username: string;
  email: string;
  password: string;
  isStaff?: boolean | null;
}

export class UserService {
  constructor(
    private readonly db: DatabaseHandle,
    private readonly tokens: TokenService,
  ) {}

  /**
   * Creates a user with its first key. `allowStaff` is false for self-service
   * sign-up, where isStaff is ignored.
   */
  async create(input: NewUser, opts: { allowStaff: boolean; tokenName: string }) {
    const data = validate(newUser, { ...input, isStaff: input.isStaff ?? false });
    checkPassword(data.password, data);
    const material = this.tokens.material(opts.tokenName);
    const password = await hashPassword(data.password);
    try {
      const user = await this.db.prisma.user.create({
        data: {
          username: data.username,
          email: data.email,
          password,
          isStaff: opts.allowStaff && data.isStaff,
          tokens: { create: material.row },
        },
        omit: PUBLIC,
      });
      return { user, token: material.key, expiresAt: material.row.expiresAt };
    } catch (e) {
      throw this.translate(e);
    }
  }

  async list(args: {
    limit?: number | null;
    offset?: number | null;
    search?: string | null;
    isStaff?: boolean | null;
    isActive?: boolean | null;
    orderBy?: UserOrder | null;
  }) {
    const { limit, offset, search, isStaff, isActive, orderBy } = validate(listArgs, {
      limit: args.limit ?? 20,
      offset: args.offset ?? 0,
      search: args.search,
      isStaff: args.isStaff,
      isActive: args.isActive,
      orderBy: args.orderBy ?? UserOrder.ID_ASC,
    });
    const conditions = [searchCondition(this.db.provider, ["username", "email"], search)];
    // TRUE and FALSE literals read the same on SQLite (3.23+) and PostgreSQL.
    if (isStaff != null) conditions.push(Prisma.raw(`"isStaff" = ${isStaff ? "TRUE" : "FALSE"}`));
    if (isActive != null) conditions.push(Prisma.raw(`"isActive" = ${isActive ? "TRUE" : "FALSE"}`));
    return pagedRows<PublicUser>(this.db, {
      table: "User",
      columns: PUBLIC_COLUMNS,
      where: Prisma.join(conditions, " AND "),
      orderBy: ORDER[orderBy],
      limit,
      offset,
    });
  }

  get(id: string) {
    const key = parseId(id);
    return key === null ? null : this.db.prisma.user.findUnique({ where: { id: key }, omit: PUBLIC });
  }

  findByUsername(username: string) {
    return this.db.prisma.user.findUnique({ where: { username: normalizeUsername(username) } });
  }

  /** PUT: username and email. */
  update(id: string, input: unknown) {
    return this.save(id, validate(profile, input));
  }

  /** PATCH. A new password is checked against the rules and ends every session of the user. */
  async patch(id: string, input: Nullable<z.input<typeof patch>>) {
    const data = validate(patch, patchFields(input));
    if (data.password === undefined) return this.save(id, data);
    const key = parseId(id);
    const current = key === null ? null : await this.db.prisma.user.findUnique({ where: { id: key } });
    if (!current) throw new NotFoundError();
    checkPassword(data.password, { username: data.username ?? current.username, email: data.email ?? current.email });
    const { password, ...rest } = data;
    return this.save(id, { ...rest, password: await hashPassword(password) }, { revokeTokens: true });
  }

  /** Sets a password (rules already checked by the caller) and revokes every key. */
  async setPassword(userId: number, password: string): Promise<void> {
    const hashed = await hashPassword(password);
    await this.db.prisma.$transaction([
      this.db.prisma.user.update({ where: { id: userId }, data: { password: hashed } }),
      this.db.prisma.token.deleteMany({ where: { userId } }),
    ]);
  }

  async delete(id: string): Promise<true> {
    const key = parseId(id);
    if (key === null) throw new NotFoundError();
    try {
      // Tokens go with the user (ON DELETE CASCADE).
      await this.db.prisma.user.delete({ where: { id: key } });
      return true;
    } catch (e) {
      throw this.translate(e);
    }
  }

  private async save(
    id: string,
    data: { username?: string; email?: string; password?: string; isStaff?: boolean; isActive?: boolean },
    opts: { revokeTokens?: boolean } = {},
  ) {
    const key = parseId(id);
    if (key === null) throw new NotFoundError();
    try {
      const update = this.db.prisma.user.update({ where: { id: key }, data, omit: PUBLIC });
      if (!opts.revokeTokens) return await update;
      const [user] = await this.db.prisma.$transaction([update, this.db.prisma.token.deleteMany({ where: { userId: key } })]);
      return user;
    } catch (e) {
      throw this.translate(e);
    }
  }

  private translate(error: unknown): unknown {
    if (isUniqueViolation(error, "username")) return BadInputError.field("username", USERNAME_TAKEN);
    if (isRecordMissing(error)) return new NotFoundError();
    return error;
  }
}
