import { AuthEventKind } from "../audit/audit-kind";
import type { Party } from "../audit/audit-origin";
import type { Audit } from "../audit/audit-trail";
import { DurationError, formatDuration, MAX_DURATION_SECONDS, parseDuration } from "../config/duration";
import type { DatabaseHandle, Executor } from "../db/database";
import { isForeignKeyViolation } from "../db/errors";
import type { Authenticated, AuthUser } from "../graphql/context";
import { paginationRules } from "../graphql/pagination";
import { keyHasScope, Scope, sortScopes } from "../graphql/scopes";
import { BadInputError, ForbiddenError, MESSAGES, NotFoundError, UnauthenticatedError } from "../shared/errors";
import { searchTerms } from "../shared/search";
import { parseId, rawMax, validate } from "../shared/validation";
import { z } from "zod";
import { parseAuthorizationHeader } from "./authorization-header";
import { KEY_PATTERN, digestKey, generateKey, keyPrefix } from "./crypto";
import { scopesFromColumn, scopesToColumn } from "./scope-column";
import {
  deleteToken,
  deleteTokens,
  findByDigest,
  insertToken,
  countLiveTokens,
  lockUserForKey,
  pageOfTokens,
  tokensOfUser,
  touchTokens,
  type NewTokenRow,
  type TokenRowWithUser,
} from "./token.queries";
import { findUser } from "../users/user.queries";

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

/** lastUsedAt writes wait this long to go out together, in one statement, off the request path. */
const LAST_USED_FLUSH_MS = 1_000;

/** What the service reports for Prometheus (src/metrics/), when metrics are on. */
export interface KeyMetrics {
  keysIssued(count: number): void;
  keysRevoked(count: number): void;
}

export interface TokenServiceOptions {
  /** TOKEN_TTL in seconds; undefined: keys never expire, as in DRF. */
  ttlSeconds?: number;
  /** TOKEN_LIMIT_PER_USER: live keys a user may hold before issue({ withinLimit }) refuses; undefined: no limit. */
  limitPerUser?: number;
  now?: () => Date;
  metrics?: KeyMetrics;
  audit: Audit;
}

/** A key just issued: the only time it is seen. */
export interface IssuedKey {
  token: string;
  expiresAt: Date | null;
  /** Null: everything its user may. */
  scopes: Scope[] | null;
}

/** What a client asks of a new key, as the API and the CLI take it. */
export interface KeyRequest {
  /** Null or absent: everything its user may. */
  scopes?: readonly Scope[] | null;
  /** Its own lifetime, as TOKEN_TTL is written (`7d`); absent: TOKEN_TTL's, or none. */
  expiresIn?: string | null;
}

/** A KeyRequest checked: what issue() gives the key. */
export interface KeyTerms {
  scopes: Scope[] | null;
  /** Seconds; undefined: TOKEN_TTL's, or no expiry. */
  lifetime?: number;
}

/** Every key of DRF's kind: all its user may, for TOKEN_TTL or for good. */
export const FULL_KEY: KeyTerms = { scopes: null };

/** A key as the listings show it. */
export type KeyRow = Omit<TokenRowWithUser, "scopes"> & { scopes: Scope[] | null };

const withScopes = (row: TokenRowWithUser): KeyRow => ({ ...row, scopes: scopesFromColumn(row.scopes) });

/** Longer than any duration can be written: refused on length alone. */
const EXPIRES_IN_RAW_MAX = 32;

const listRules = z.object({ ...paginationRules });

export class TokenService {
  /** lastUsedAt writes in flight (see settle). */
  private readonly bookkeeping = new Set<Promise<unknown>>();
  /** Keys used since the last lastUsedAt write, and when. */
  private readonly touched = new Map<number, Date>();
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly now: () => Date;

  constructor(
    private readonly db: DatabaseHandle,
    private readonly options: TokenServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Checks what a client asks of a new key, before anything else is done:
   * BAD_USER_INPUT on `scopes` for an empty list, on `expiresIn` for a text
   * that is not a duration or one longer than TOKEN_TTL. Whether the user may
   * hold the scopes is checkHolder()'s, once the user is known.
   */
  terms(request: KeyRequest): KeyTerms {
    let scopes: Scope[] | null = null;
    if (request.scopes != null) {
      if (request.scopes.length === 0) throw BadInputError.field("scopes", MESSAGES.noScopes);
      scopes = sortScopes(request.scopes);
    }
    if (request.expiresIn == null) return { scopes };
    return { scopes, lifetime: this.lifetime(request.expiresIn) };
  }

  private lifetime(expiresIn: string): number {
    const ttl = this.options.ttlSeconds;
    const tooLong = () =>
      BadInputError.field(
        "expiresIn",
        ttl === undefined
          ? MESSAGES.longerThan(formatDuration(MAX_DURATION_SECONDS))
          : MESSAGES.longerThanTokenTtl(formatDuration(ttl)),
      );
    if (expiresIn.length > EXPIRES_IN_RAW_MAX) throw BadInputError.field("expiresIn", MESSAGES.notADuration);
    let seconds: number;
    try {
      seconds = parseDuration(expiresIn);
    } catch (e) {
      if (e instanceof DurationError && e.reason === "too-long") throw tooLong();
      throw BadInputError.field("expiresIn", MESSAGES.notADuration);
    }
    if (ttl !== undefined && seconds > ttl) throw tooLong();
    return seconds;
  }

  /**
   * A key never carries a scope its user cannot use: ADMIN only for a staff
   * user (BAD_USER_INPUT on `scopes`). Called once the user is known (for a
   * login, after the password check: a refusal must not tell who is staff).
   * A user who loses staff later keeps the key, but its ADMIN then grants
   * nothing: access is decided on every request (graphql/operation-access.ts).
   */
  checkHolder(terms: KeyTerms, user: Pick<AuthUser, "isStaff">): void {
    if (terms.scopes?.includes(Scope.ADMIN) && !user.isStaff)
      throw BadInputError.field("scopes", MESSAGES.adminScopeNeedsStaff);
  }

  /**
   * Issues a key for a user, with `terms` (checked by terms(); default: all
   * the user may, for TOKEN_TTL). Null when the user is gone (even if a
   * delete raced this insert) or, with `credentialVersion`, when the user's
   * password changed since that version was read: a login that raced a
   * password change gets no key (see accounts/).
   */
  async issue(
    userId: number,
    name: string,
    opts: {
      terms?: KeyTerms;
      credentialVersion?: number;
      revokeOthers?: boolean;
      tx?: Executor;
      /** The audit event's actor when not the request's user (a login: the user who just proved their password). */
      actor?: Party;
      /** A login's key: refused past TOKEN_LIMIT_PER_USER live keys, as django-rest-knox refuses it. */
      withinLimit?: boolean;
    } = {},
  ): Promise<IssuedKey | null> {
    const label = tokenName(name, "key");
    const { scopes, lifetime = this.options.ttlSeconds } = opts.terms ?? FULL_KEY;
    const key = generateKey();
    const now = this.now();
    const row: NewTokenRow = {
      digest: digestKey(key),
      prefix: keyPrefix(key),
      name: label,
      userId,
      createdAt: now,
      expiresAt: lifetime === undefined ? null : new Date(now.getTime() + lifetime * 1000),
      scopes: scopesToColumn(scopes),
    };
    let revoked = 0;
    const write = async (tx: Executor): Promise<boolean> => {
      // The user is locked first (see lockUserForKey): a password change or a
      // delete racing this insert either waits for it or is seen here.
      const user = await lockUserForKey(tx, this.db.provider, userId);
      if (!user) return false;
      if (opts.credentialVersion !== undefined && user.credentialVersion !== opts.credentialVersion) return false;
      // TOKEN_LIMIT_PER_USER, as django-rest-knox's login refuses: counted
      // under the user's lock, so parallel logins never pass it; expired keys
      // do not count.
      const limit = this.options.limitPerUser;
      if (opts.withinLimit && limit !== undefined && (await countLiveTokens(tx, userId, now)) >= limit) {
        throw new ForbiddenError(MESSAGES.tokenLimit);
      }
      if (opts.revokeOthers) revoked = await deleteTokens(tx, { userId });
      await insertToken(tx, row);
      return true;
    };
    let inserted: boolean;
    try {
      inserted = opts.tx ? await write(opts.tx) : await this.db.transaction(write);
    } catch (e) {
      // A parent deleted between statements still means "no such user".
      if (isForeignKeyViolation(e)) throw new NotFoundError();
      throw e;
    }
    this.options.metrics?.keysRevoked(revoked);
    if (revoked > 0 && !opts.tx) this.recordRevokedAll(userId, revoked);
    if (!inserted) return null;
    // Inside a caller's transaction (createUser), counted before it commits.
    this.options.metrics?.keysIssued(1);
    const issued = { token: key, expiresAt: row.expiresAt, scopes };
    // Inside a caller's transaction, the caller records it once committed.
    if (!opts.tx) this.recordIssued(userId, issued, label, opts.actor);
    return issued;
  }

  /** The audit event of a key issued to `userId`: its name, prefix, scopes and expiry, never the key. */
  recordIssued(userId: number, key: IssuedKey, name: string, actor?: Party): void {
    this.options.audit.record({
      kind: AuthEventKind.KEY_ISSUED,
      subject: { id: userId },
      actor,
      details: { name, prefix: keyPrefix(key.token), scopes: key.scopes, expiresAt: key.expiresAt },
    });
  }

  private recordRevokedAll(userId: number, count: number): void {
    this.options.audit.record({
      kind: AuthEventKind.KEY_REVOKED,
      subject: { id: userId },
      details: { all: true, count },
    });
  }

  /** issue() for a user who must exist: NOT_FOUND otherwise. */
  async issueOrNotFound(
    userId: number,
    name: string,
    opts: { terms?: KeyTerms; tx?: Executor; revokeOthers?: boolean; actor?: Party } = {},
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
    const row = await findByDigest(this.db.kysely, digestKey(key));
    if (!row) throw new UnauthenticatedError(MESSAGES.invalidToken);
    const { tokenId, expiresAt, lastUsedAt, scopes, ...user } = row;
    const now = this.now();
    if (expiresAt && expiresAt <= now) throw new UnauthenticatedError(MESSAGES.expired);
    if (!user.isActive) throw new UnauthenticatedError(MESSAGES.inactive);
    if (!lastUsedAt || now.getTime() - lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) this.touch(tokenId, now);
    return { user, tokenId, scopes: scopesFromColumn(scopes) };
  }

  /**
   * Bookkeeping only: the request does not wait for it. Keys used within a
   * second are written together, in one statement; a revoked key (deleted
   * meanwhile) just matches no row.
   */
  private touch(tokenId: number, now: Date): void {
    this.touched.set(tokenId, now);
    // Unref'd: bookkeeping never keeps a process alive (close() writes what waits).
    this.flushTimer ??= setTimeout(() => void this.flush(), LAST_USED_FLUSH_MS).unref();
  }

  private flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.touched.size === 0) return Promise.resolve();
    const ids = [...this.touched.keys()];
    const at = new Date(Math.max(...[...this.touched.values()].map((d) => d.getTime())));
    this.touched.clear();
    const write: Promise<void> = touchTokens(this.db.kysely, ids, at)
      // A failed write loses a "last used" time, never a request.
      .catch(() => undefined)
      .finally(() => this.bookkeeping.delete(write));
    this.bookkeeping.add(write);
    return write;
  }

  /**
   * Writes the lastUsedAt times still waiting and waits for those running.
   * Closing the database under them strands PostgreSQL connections
   * mid-transaction, and the close waits forever.
   */
  async settle(): Promise<void> {
    await this.flush();
    await Promise.all([...this.bookkeeping]);
  }

  /** The keys of a user known to exist. */
  async list(userId: number): Promise<KeyRow[]> {
    return (await tokensOfUser(this.db.kysely, userId)).map(withScopes);
  }

  /** Staff view of one user's keys; NOT_FOUND when the user does not exist. */
  async listForUser(userId: string): Promise<KeyRow[]> {
    const id = parseId(userId);
    if (id === null) throw new NotFoundError();
    const tokens = await tokensOfUser(this.db.kysely, id);
    // No key: the user may still exist.
    if (tokens.length === 0 && !(await findUser(this.db.kysely, { id }))) {
      throw new NotFoundError();
    }
    return tokens.map(withScopes);
  }

  /** Staff view of every key, a page at a time. */
  async listAll(args: {
    limit?: number | null;
    offset?: number | null;
    search?: string | null;
    userId?: string | null;
  }): Promise<{ count: number; results: KeyRow[] }> {
    const { limit, offset, search } = validate(listRules, args);
    const userId = args.userId == null ? undefined : (parseId(args.userId) ?? -1);
    const page = await pageOfTokens(this.db.kysely, this.db.provider, {
      terms: searchTerms(search),
      userId,
      limit,
      offset,
    });
    return { count: page.count, results: page.results.map(withScopes) };
  }

  /**
   * Revokes one key. Owners revoke their own; staff anyone's, with a key
   * that may do staff work (ADMIN, or no scopes). Someone else's key looks
   * exactly like a missing one to anybody else.
   */
  async revoke(actor: Pick<Authenticated, "user" | "scopes">, tokenId: string): Promise<true> {
    const id = parseId(tokenId);
    if (id === null) throw new NotFoundError();
    const anyKey = actor.user.isStaff && keyHasScope(actor.scopes, Scope.ADMIN);
    // The deleted row says whose key it was, for the audit trail.
    const revoked = await deleteToken(this.db.kysely, anyKey ? { id } : { id, userId: actor.user.id });
    if (!revoked) throw new NotFoundError();
    this.options.metrics?.keysRevoked(1);
    this.options.audit.record({
      kind: AuthEventKind.KEY_REVOKED,
      subject: { id: revoked.userId },
      details: { all: false, prefix: revoked.prefix },
    });
    return true;
  }

  async revokeAll(userId: number, tx: Executor = this.db.kysely): Promise<number> {
    const count = await deleteTokens(tx, { userId });
    this.options.metrics?.keysRevoked(count);
    if (count > 0) this.recordRevokedAll(userId, count);
    return count;
  }
}
