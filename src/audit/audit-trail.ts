import type { Executor } from "../db/database";
import type { AuthEventKind } from "./audit-kind";
import { currentOrigin, type Party } from "./audit-origin";
import { deleteEventsBefore, insertEvents, usernamesOf, type AuthEventRow } from "./audit.queries";

// The audit trail's writer. Recording an event costs the request nothing but
// a push onto a buffer: the buffer is written in one multi-row INSERT a
// second later, or as soon as it holds a batch, and at close. A write that
// fails is logged (once, with how many events it lost) and never reaches the
// request that caused the event, which has long been answered.

/** What happened, as the place it happened says it; who, from where and when come from the origin. */
export interface AuditRecord {
  kind: AuthEventKind;
  /** Whom it concerns; a name alone for a username that matches no user. */
  subject?: { id?: number | null; name?: string | null };
  /** Who did it, when not the request's user: the user who just proved their password or signed up. */
  actor?: Party;
  /** The kind's own facts. Never a password, a key or a digest. */
  details?: Record<string, unknown>;
}

export interface AuditLog {
  /** A write that failed, with the number of events it lost. */
  writeFailed(error: unknown, lost: number): void;
  /** A prune that ran (deleted: how many) or failed. */
  pruned(deleted: number, before: Date): void;
  pruneFailed(error: unknown): void;
}

export interface AuditTrailOptions {
  log: AuditLog;
  /** The actor of events recorded outside a request: a manage command (`manage changepassword`). */
  defaultActor?: string;
  now?: () => Date;
  /** How long an event may wait in the buffer. */
  flushMs?: number;
  /** A buffer this full is written at once. */
  batchSize?: number;
}

/** What a service needs of the trail. */
export type Audit = Pick<AuditTrail, "record">;

/** More of the User-Agent than any real client sends; the rest is cut. */
export const USER_AGENT_MAX = 256;
/** Names are usernames (150 at most) or a username someone typed: cut at this length. */
const NAME_MAX = 200;
/** Waiting events past this many (the database down for a while) are dropped, and the drop is logged. */
const BUFFER_MAX = 10_000;

const cut = (text: string | null | undefined, max: number) =>
  text == null ? null : text.length > max ? text.slice(0, max) : text;

export class AuditTrail {
  private buffer: AuthEventRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly writes = new Set<Promise<void>>();
  private pruning: NodeJS.Timeout | null = null;
  private dropped = 0;
  private readonly now: () => Date;
  private readonly flushMs: number;
  private readonly batchSize: number;

  constructor(
    private readonly db: Executor,
    private readonly options: AuditTrailOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.flushMs = options.flushMs ?? 1000;
    this.batchSize = options.batchSize ?? 100;
  }

  /** Queues one event; never throws, never waits. */
  record(event: AuditRecord): void {
    const origin = currentOrigin();
    const actor: Party | undefined =
      event.actor ?? origin?.actor ?? (origin ? undefined : { id: null, name: this.options.defaultActor ?? null });
    if (this.buffer.length >= BUFFER_MAX) {
      this.dropped++;
      return;
    }
    this.buffer.push({
      createdAt: this.now(),
      kind: event.kind,
      actorId: actor?.id ?? null,
      actorName: cut(actor?.name, NAME_MAX),
      subjectId: event.subject?.id ?? null,
      subjectName: cut(event.subject?.name, NAME_MAX),
      clientAddress: origin?.clientAddress ?? null,
      userAgent: cut(origin?.userAgent, USER_AGENT_MAX),
      requestId: origin?.requestId ?? null,
      details: event.details ? JSON.stringify(event.details) : null,
    });
    if (this.buffer.length >= this.batchSize) this.write();
    else this.timer ??= setTimeout(() => this.write(), this.flushMs).unref();
  }

  /** Writes what is buffered now and waits for every write under way: what tests call instead of sleeping. */
  async flush(): Promise<void> {
    this.write();
    await Promise.all([...this.writes]);
  }

  private write(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.dropped > 0) {
      this.options.log.writeFailed(new Error(`more than ${BUFFER_MAX} events were waiting`), this.dropped);
      this.dropped = 0;
    }
    const rows = this.buffer;
    if (rows.length === 0) return;
    this.buffer = [];
    const done: Promise<void> = this.insert(rows)
      .catch((e: unknown) => this.options.log.writeFailed(e, rows.length))
      .finally(() => this.writes.delete(done));
    this.writes.add(done);
  }

  /**
   * Names the users the events gave only by id (a service that knew just the
   * id), as they are called now, a second at most after the event, so that
   * the trail keeps the names of the time; then inserts every row.
   */
  private async insert(rows: AuthEventRow[]): Promise<void> {
    const unnamed = new Set<number>();
    for (const row of rows) {
      if (row.actorId !== null && row.actorName === null) unnamed.add(row.actorId);
      if (row.subjectId !== null && row.subjectName === null) unnamed.add(row.subjectId);
    }
    const names = await usernamesOf(this.db, [...unnamed]);
    for (const row of rows) {
      if (row.actorId !== null) row.actorName ??= names.get(row.actorId) ?? null;
      if (row.subjectId !== null) row.subjectName ??= names.get(row.subjectId) ?? null;
    }
    await insertEvents(this.db, rows);
  }

  /** Deletes the events recorded before `before`; returns how many. */
  async prune(before: Date): Promise<number> {
    const deleted = await deleteEventsBefore(this.db, before);
    this.options.log.pruned(deleted, before);
    return deleted;
  }

  /**
   * Keeps `seconds` of events (AUDIT_RETENTION): prunes now, then every
   * quarter of that time, at least once a minute and at most once an hour.
   */
  keep(seconds: number): void {
    const run = () => {
      // Tracked with the writes, so close() waits for it before the database closes.
      const done: Promise<void> = this.prune(new Date(this.now().getTime() - seconds * 1000))
        .then(() => undefined)
        .catch((e: unknown) => this.options.log.pruneFailed(e))
        .finally(() => this.writes.delete(done));
      this.writes.add(done);
    };
    run();
    const every = Math.min(3600, Math.max(60, seconds / 4)) * 1000;
    this.pruning = setInterval(run, every).unref();
  }

  /** Stops pruning and writes what is left; before the database closes. */
  async close(): Promise<void> {
    if (this.pruning) clearInterval(this.pruning);
    this.pruning = null;
    await this.flush();
  }
}
