import { Scope, sortScopes } from "../graphql/scopes";

// A key's scopes as the Token table keeps them: null for a key that does
// all its user may; otherwise the scopes' names, sorted by name and joined
// with commas ("ACCOUNT,STUDENTS_READ"). Plain text is stored, compared and
// read back exactly alike on SQLite and PostgreSQL (arrays and enums are
// PostgreSQL's alone, JSON is text on one and jsonb on the other), a person
// can read it in the database, and the names do not depend on the enum's
// order, as bit positions would.

const KNOWN: ReadonlySet<string> = new Set(Object.values(Scope));

/** The column's text for a key's scopes: null stays null (everything its user may). */
export function scopesToColumn(scopes: readonly Scope[] | null): string | null {
  if (scopes === null) return null;
  return [...new Set(scopes)].sort().join(",");
}

/**
 * A key's scopes from the column, in the enum's order. A name this version
 * does not know grants nothing (a row written by a newer version, or edited
 * by hand, never gives a key more than the names it knows); an empty text is
 * a key with no scope at all.
 */
export function scopesFromColumn(text: string | null): Scope[] | null {
  if (text === null) return null;
  return sortScopes(text.split(",").filter((name): name is Scope => KNOWN.has(name)));
}
