// DRF's SearchFilter: the search text is split into terms; a row matches when
// every term is contained, ignoring case, in at least one of the fields (see
// containsEveryTerm in db/search.ts).

/** DRF's search_smart_split: whitespace- and comma-separated terms; a quoted phrase stays one term. */
export function searchTerms(search: string | undefined | null): string[] {
  if (!search) return [];
  const terms: string[] = [];
  for (const token of search.match(/"[^"]*"|'[^']*'|[^\s]+/g) ?? []) {
    const term = token.replace(/^,+|,+$/g, "");
    if (term.length >= 2 && (term[0] === '"' || term[0] === "'") && term.at(-1) === term[0]) {
      const phrase = term.slice(1, -1).trim();
      if (phrase) terms.push(phrase);
    } else {
      terms.push(
        ...term
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      );
    }
  }
  return terms;
}
