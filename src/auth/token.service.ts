import { TRANSACTION_OPTIONS, type DatabaseHandle, type Transaction } from "../db/prisma";
import type { SqlRunner } from "../db/sql";
import type { Authenticated, AuthUser } from "../graphql/context";
import { paginationRules } from "../graphql/pagination";
import { BadInputError, MESSAGES, NotFoundError, UnauthenticatedError } from "../shared/errors";
import { isForeignKeyViolation } from "../shared/prisma-errors";
import { searchTerms } from "../shared/search";
import { parseId, rawMax, validate } from "../shared/validation";
import { z } from "zod";
import { parseAuthorizationHeader } from "./authorization-header";
import { KEY_PATTERN, digestKey, generateKey, keyPrefix } from "./crypto";
import { findByDigest, insertToken, pageOfTokens, tokensOfUser, touchToken, type NewTokenRow } from "./token.queries";

// Keys end to end, and the only writer of Token rows: issuing, looking up,
// listing, revoking. The key itself exists only in the value returned by
// issue(); the database holds its digest.

const NAME_MAX = 100;

/**
 * A key's label, one rule for every way of issuing a key (obtainToken,
 * createToken, the manage command): trimmed, `fallback` when blank, at most
 * 100 characters.
 */
export function tokenName(name: string | null | undefined, fallback: string): string {
  // Refused on its raw length first: no trimming or splitting of a huge text.
  if ((name ?? "").length > rawMax(NAME_MAX)) throw BadInputError.field("name", MESSAGES.maxLength(NAME_MAX));
  const label = (name ?? "").trim() || fallback;
  if ([...label].length > NAME_MAX) throw BadInputError.field("name", MESSAGES.maxLength(NAME_MAX));
  return label;
}

/** lastUsedAt is written at most this often per key, not on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface TokenServiceOptions {
  /** TOKEN_TTL in seconds; undefined: keys never expire, as in DRF. */
  ttlSeconds?: number;
  now?: () => Date;
}

/** A key just issued: the only time it is seen. */
export interface IssuedKey {
  token: string;
  expiresAt: Date | null;
}

const listRules = z.object({ ...paginationRules });

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

  /**
   * Issues a key for a user. Null when the user is gone (even if a delete
   * raced this insert) or, with `credentialVersion`, when the user's password
   * changed since that version was read: a login that raced a password
   * change gets no key (see accounts/).
   */
  async issue(
    userId: number,
    name: string,
    opts: { credentialVersion?: number; revokeOthers?: boolean; tx?: Transaction } = {},
  ): Promise<IssuedKey | null> {
    const label = tokenName(name, "key");
    const key = generateKey();
    const now = this.now();
    const ttl = this.options.ttlSeconds;
    const row: NewTokenRow = {
      digest: digestKey(key),
      prefix: keyPrefix(key),
      name: label,
      expiresAt: ttl === undefined ? null : new Date(now.getTime() + ttl * 1000),
    };
    const insert = (db: SqlRunner) =>
      insertToken(db, this.db.provider, userId, row, { credentialVersion: opts.credentialVersion, now });
    const write = async (tx: Transaction) => {
      if (opts.revokeOthers) await tx.token.deleteMany({ where: { userId } });
      return insert(tx);
    };
    let inserted: boolean;
    try {
      // One statement needs no transaction: it goes straight to the driver (db.sql).
      inserted = opts.tx
        ? await write(opts.tx)
        : opts.revokeOthers
          ? await this.db.prisma.$transaction(write, TRANSACTION_OPTIONS)
          : await insert(this.db.sql);
    } catch (e) {
      // A parent deleted between statements still means "no such user".
      if (isForeignKeyViolation(e)) throw new NotFoundError();
      throw e;
    }
    if (!inserted) return null;
    return { token: key, expiresAt: row.expiresAt };
  }

  /** issue() for a user who must exist: NOT_FOUND otherwise. */
  async issueOrNotFound(
    userId: number,
    name: string,
    opts: { tx?: Transaction; revokeOthers?: boolean } = {},
  ): Promise<IssuedKey> {
    const issued = await this.issue(userId, name, opts);
    if (!issued) throw new NotFoundError();
    return issued;
  }

  /**
   * DRF's TokenAuthentication.authenticate: the user and key behind an
   * Authorization header; null without a header of our scheme; a 401 with
   * DRF's message for a malformed, unknown, expired or inactive one.
   *
   * The lookup is by digest, so its timing can only tell an attacker about a
   * SHA-256 output, which they cannot steer towards a valid key.
   */
  async authenticate(header: string | undefined): Promise<Authenticated | null> {
    const key = parseAuthorizationHeader(header);
    if (key === null) return null;
    if (!KEY_PATTERN.test(key)) throw new UnauthenticatedError(MESSAGES.invalidToken);
    const row = await findByDigest(this.db.sql, digestKey(key));
    if (!row) throw new UnauthenticatedError(MESSAGES.invalidToken);
    const { tokenId, expiresAt, lastUsedAt, ...user } = row;
    const now = this.now();
    if (expiresAt && expiresAt <= now) throw new UnauthenticatedError(MESSAGES.expired);
    if (!user.isActive) throw new UnauthenticatedError(MESSAGES.inactive);
    if (!lastUsedAt || now.getTime() - lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) this.touch(tokenId, now);
    return { user, tokenId };
  }

  /**
   * Bookkeeping only: the request does not wait for it, and a revoked key
   * (deleted meanwhile) just matches no row.
   */
  private touch(tokenId: number, now: Date): void {
    const write: Promise<unknown> = touchToken(this.db.sql, tokenId, now)
      .catch(() => undefined)
      .finally(() => this.bookkeeping.delete(write));
    this.bookkeeping.add(write);
  }

  /**
   * Waits for the lastUsedAt writes still running. Closing the database under
   * them strands PostgreSQL connections mid-transaction, and the close waits forever.
   */
  async settle(): Promise<void> {
    await Promise.all([...this.bookkeeping]);
  }

  /** The keys of a user known to exist. */
  list(userId: number) {
    return tokensOfUser(this.db.sql, userId);
  }

  /** Staff view of one user's keys; NOT_FOUND when the user does not exist. */
  async listForUser(userId: string) {
    const id = parseId(userId);
    if (id === null) throw new NotFoundError();
    const tokens = await tokensOfUser(this.db.sql, id);
    // No key: the user may still exist.
    if (tokens.length === 0 && !(await this.db.prisma.user.findUnique({ where: { id }, select: { id: true } }))) {
      throw new NotFoundError();
    }
    return tokens;
  }

  /** Staff view of every key, a page at a time. */
  listAll(args: { limit?: number | null; offset?: number | null; search?: string | null; userId?: string | null }) {
    const { limit, offset, search } = validate(listRules, args);
    const userId = args.userId == null ? undefined : (parseId(args.userId) ?? -1);
    return pageOfTokens(this.db.sql, this.db.provider, { terms: searchTerms(search), userId, limit, offset });
  }

  /**
   * Revokes one key. Owners revoke their own; staff anyone's. Someone
   * else's key looks exactly like a missing one to a non-staff user.
   */
  async revoke(actor: AuthUser, tokenId: string): Promise<true> {
    const id = parseId(tokenId);
    if (id === null) throw new NotFoundError();
    const where = actor.isStaff ? { id } : { id, userId: actor.id };
    const { count } = await this.db.prisma.token.deleteMany({ where });
    if (count === 0) throw new NotFoundError();
    return true;
  }

  /** Which of these keys are already stored (by digest). */
  async existingKeys(keys: string[], tx: Transaction = this.db.prisma): Promise<string[]> {
    const byDigest = new Map(keys.map((k) => [digestKey(k), k]));
    const rows = await tx.token.findMany({ where: { digest: { in: [...byDigest.keys()] } }, select: { digest: true } });
    return rows.map((t) => byDigest.get(t.digest)!);
  }

  /**
   * Keeps keys issued elsewhere (DRF's 40-hex keys) working: stores their
   * digests, as for our own, with their creation time. For `manage import-django`.
   */
  async importKeys(
    keys: { key: string; userId: number; createdAt: Date; name: string }[],
    tx: Transaction,
  ): Promise<void> {
    await tx.token.createMany({
      data: keys.map((k) => ({
        digest: digestKey(k.key),
        prefix: keyPrefix(k.key),
        name: k.name,
        userId: k.userId,
        createdAt: k.createdAt,
      })),
    });
  }

  async revokeAll(userId: number, tx: Transaction = this.db.prisma): Promise<number> {
    const { count } = await tx.token.deleteMany({ where: { userId } });
    return count;
  }
}
