import { z } from "zod";
import type { Executor } from "../db/database";
import { paginationRules } from "../graphql/pagination";
import { parseId, validate } from "../shared/validation";
import type { AuthEventKind } from "./audit-kind";
import { pageOfEvents, type AuthEventView } from "./audit.queries";

// Reading the audit trail: staff's authEvents query, the admin's Activity
// page and `manage audit`.

export interface EventQuery {
  kinds?: readonly AuthEventKind[] | null;
  /** By or about this user (an ID); an id that is no user's matches nothing. */
  userId?: string | null;
  /** By or about a user of this name when the event was recorded. */
  userName?: string | null;
  since?: Date | null;
  until?: Date | null;
  limit?: number | null;
  offset?: number | null;
}

export interface AuthEventEntry extends Omit<AuthEventView, "details"> {
  details: Record<string, unknown> | null;
}

const rules = z.object({ limit: paginationRules.limit, offset: paginationRules.offset });

export class AuditService {
  constructor(private readonly db: Executor) {}

  /** Newest first, one page, and how many match. */
  async list(query: EventQuery): Promise<{ count: number; results: AuthEventEntry[] }> {
    const { limit, offset } = validate(rules, { limit: query.limit, offset: query.offset });
    const userId = query.userId == null ? undefined : (parseId(query.userId) ?? -1);
    const page = await pageOfEvents(this.db, {
      kinds: query.kinds ?? undefined,
      userId,
      userName: query.userName ?? undefined,
      since: query.since ?? undefined,
      until: query.until ?? undefined,
      limit,
      offset,
    });
    return { count: page.count, results: page.results.map(entry) };
  }
}

function entry(row: AuthEventView): AuthEventEntry {
  return { ...row, details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>) };
}
