import type { DatabaseHandle } from "../db/prisma";
import { BadInputError, ForbiddenError, MESSAGES, NotFoundError, UnauthenticatedError } from "../shared/errors";
import { Prisma } from "../generated/sqlite/client";
import { searchCondition } from "../shared/search";
import { page, parseId, validate } from "../shared/validation";
import { z } from "zod";
import { KEY_PATTERN, digestKey, generateKey, keyPrefix } from "./crypto";

// Keys end to end: issuing, looking up, listing, revoking. The key itself
// exists only in the value returned by issue(); the database holds its digest.

const NAME_MAX = 100;

/**
 * A key's label, one rule for every way of issuing a key (obtainToken,
 * createToken, the manage command): trimmed, `fallback` when blank, at most
 * 100 characters.
 */
export function tokenName(name: string | null | undefined, fallback: string): string {
  const label = (name ?? "").trim() || fallback;
  if ([...label].length > NAME_MAX) {
    throw BadInputError.field("name", `Ensure this field has no more than ${NAME_MAX} characters.`);
  }
  return label;
}

const TOKEN_FIELDS = { id: true, name: true, prefix: true, createdAt: true, lastUsedAt: true, expiresAt: true } as const;
const allTokensArgs = z.object(page);

interface TokenRow {
  tokenId: number;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
}

/** lastUsedAt is written at most this often per key, not on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface AuthUser {
  id: number;
  username: string;
  email: string;
  isStaff: boolean;
  isActive: boolean;
  dateJoined: Date;
  lastLogin: Date | null;
}

export interface Authenticated {
  user: AuthUser;
  tokenId: number;
}

/** One row of authenticate()'s join; the driver adapters give Dates and booleans. */
interface TokenWithUser extends AuthUser {
  tokenId: number;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

/** A new key and the row that records it. */
export interface KeyMaterial {
  key: string;
  row: { digest: string; prefix: string; name: string; expiresAt: Date | null };
}

export interface TokenServiceOptions {
  /** TOKEN_TTL in seconds; undefined: keys never expire, as in DRF. */
  ttlSeconds?: number;
  now?: () => Date;
}

export class TokenService {
  /** lastUsedAt writes in flight (see settle). */
  private readonly bookkeeping = new Set<Promise<unknown>>();
  private readonly now: () => Date;

  constructor(
    private readonly db: DatabaseHandle,
    private readonly options: TokenServiceOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** A fresh key and the row to store; for callers that write it with other rows. */
  material(name: string): KeyMaterial {
    name = tokenName(name, "key");
    const key = generateKey();
    const ttl = this.options.ttlSeconds;
    const expiresAt = ttl === undefined ? null : new Date(this.now().getTime() + ttl * 1000);
    return { key, row: { digest: digestKey(key), prefix: keyPrefix(key), name, expiresAt } };
  }

  async issue(userId: number, name: string, opts: { revokeOthers?: boolean } = {}) {
    const { key, row } = this.material(name);
    const create = this.db.prisma.token.create({ data: { ...row, userId } });
    if (opts.revokeOthers) {
      await this.db.prisma.$transaction([this.db.prisma.token.deleteMany({ where: { userId } }), create]);
    } else {
      await create;
    }
    return { token: key, expiresAt: row.expiresAt };
  }

  /**
   * Waits for the lastUsedAt writes still running. Closing the database under
   * them strands PostgreSQL connections mid-transaction, and the close waits forever.
   */
  async settle(): Promise<void> {
    await Promise.all([...this.bookkeeping]);
  }

  /**
   * DRF's authenticate_credentials: the user behind a key, or a 401 with
   * DRF's message. One statement fetches the token joined with its user:
   * Prisma would load the relation with a second query, and this runs on
   * every authenticated request.
   *
   * The lookup is by digest, so its timing can only tell an attacker about a
   * SHA-256 output, which they cannot steer towards a valid key.
   */
  async authenticate(key: string): Promise<Authenticated> {
    if (!KEY_PATTERN.test(key)) throw new UnauthenticatedError(MESSAGES.invalidToken);
    // Quoted names and a bound parameter: the same SQL on SQLite and PostgreSQL.
    const [row] = await this.db.prisma.$queryRaw<TokenWithUser[]>`
      SELECT t."id" AS "tokenId", t."expiresAt", t."lastUsedAt", u."id", u."username", u."email",
             u."isStaff", u."isActive", u."dateJoined", u."lastLogin"
      FROM "Token" t JOIN "User" u ON u."id" = t."userId"
      WHERE t."digest" = ${digestKey(key)}`;
    if (!row) throw new UnauthenticatedError(MESSAGES.invalidToken);
    const { tokenId, expiresAt, lastUsedAt, ...user } = row;
    const now = this.now();
    if (expiresAt && expiresAt <= now) throw new UnauthenticatedError(MESSAGES.expired);
    if (!user.isActive) throw new UnauthenticatedError(MESSAGES.inactive);
    if (!lastUsedAt || now.getTime() - lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      // Bookkeeping only: the request does not wait for it, and a revoked
      // token (deleted meanwhile) just matches no row.
      const write: Promise<unknown> = this.db.prisma.token
        .updateMany({ where: { id: tokenId }, data: { lastUsedAt: now } })
        .catch(() => undefined)
        .finally(() => this.bookkeeping.delete(write));
      this.bookkeeping.add(write);
    }
    return { user, tokenId };
  }

  list(userId: number) {
    return this.db.prisma.token.findMany({
      where: { userId },
      orderBy: { id: "asc" },
      select: { ...TOKEN_FIELDS, user: { omit: { password: true } } },
    });
  }

  /**
   * Staff view of every key with its owner, newest first: one join, not a
   * query per key. The search matches the owner's username or email, or the
   * key's name or prefix.
   */
  async listAll(args: { limit?: number | null; offset?: number | null; search?: string | null }) {
    const { limit, offset, search } = validate(allTokensArgs, {
      limit: args.limit ?? 20,
      offset: args.offset ?? 0,
      search: args.search,
    });
    const where = searchCondition(this.db.provider, ["username", "email", "name", "prefix"], search);
    const from = Prisma.sql`FROM "Token" t JOIN "User" u ON u."id" = t."userId" WHERE ${where}`;
    const [counted, rows] = await Promise.all([
      this.db.prisma.$queryRaw<{ count: number | bigint }[]>`SELECT COUNT(*) AS "count" ${from}`,
      this.db.prisma.$queryRaw<(AuthUser & TokenRow)[]>`
        SELECT t."id" AS "tokenId", t."name", t."prefix", t."createdAt", t."lastUsedAt", t."expiresAt",
               u."id", u."username", u."email", u."isStaff", u."isActive", u."dateJoined", u."lastLogin"
        ${from} ORDER BY t."id" DESC LIMIT ${limit} OFFSET ${offset}`,
    ]);
    const results = rows.map(({ tokenId, name, prefix, createdAt, lastUsedAt, expiresAt, ...user }) => ({
      id: tokenId,
      name,
      prefix,
      createdAt,
      lastUsedAt,
      expiresAt,
      user,
    }));
    return { count: Number(counted[0]?.count ?? 0), results };
  }

  /** Staff view of one user's tokens; NOT_FOUND when the user does not exist. */
  async listForUser(userId: string) {
    const id = parseId(userId);
    const user = id === null ? null : await this.db.prisma.user.findUnique({ where: { id }, select: { id: true } });
    if (!user) throw new NotFoundError();
    return this.list(user.id);
  }

  /**
   * Revokes one token. Owners revoke their own; staff anyone's. Someone
   * else's token looks exactly like a missing one to a non-staff user.
   */
  async revoke(actor: AuthUser, tokenId: string): Promise<true> {
    const id = parseId(tokenId);
    if (id === null) throw new NotFoundError();
    const where = actor.isStaff ? { id } : { id, userId: actor.id };
    const { count } = await this.db.prisma.token.deleteMany({ where });
    if (count === 0) throw new NotFoundError();
    return true;
  }

  async revokeAll(userId: number): Promise<number> {
    const { count } = await this.db.prisma.token.deleteMany({ where: { userId } });
    return count;
  }

  /** Staff only: a new key for any user, as the admin panel makes one. */
  async issueFor(actor: AuthUser, userId: string, name: string | null | undefined) {
    if (!actor.isStaff) throw new ForbiddenError();
    const label = tokenName(name, "admin");
    const id = parseId(userId);
    const user = id === null ? null : await this.db.prisma.user.findUnique({ where: { id }, omit: { password: true } });
    if (!user) throw new NotFoundError();
    return { ...(await this.issue(user.id, label)), user };
  }
}
