import fc from "fast-check";
import { scopesFromColumn, scopesToColumn } from "../../src/auth/scope-column";
import { Scope, SCOPES, sortScopes } from "../../src/graphql/scopes";

// How a key's scopes are kept in the Token table: one canonical text per set
// of scopes, read back to the same set, and nothing read ever grants a scope
// its text does not name.

const scopeLists = fc.array(fc.constantFrom(...SCOPES), { maxLength: 8 });

describe("the scopes column", () => {
  it("null is null both ways: a key that does all its user may", () => {
    expect(scopesToColumn(null)).toBeNull();
    expect(scopesFromColumn(null)).toBeNull();
  });

  it("writes one text per set of scopes (sorted by name, once each) and reads the same set back", () => {
    fc.assert(
      fc.property(scopeLists, scopeLists, (a, b) => {
        const text = scopesToColumn(a)!;
        expect(text.split(",").filter(Boolean)).toEqual([...new Set(a)].sort());
        expect(scopesFromColumn(text)).toEqual(sortScopes(a));
        // Same set, same text, whatever the order or repeats it came in.
        if (new Set(a).size === new Set(b).size && a.every((s) => b.includes(s))) expect(scopesToColumn(b)).toBe(text);
      }),
    );
    expect(scopesToColumn([Scope.STUDENTS_READ, Scope.ACCOUNT, Scope.STUDENTS_READ])).toBe("ACCOUNT,STUDENTS_READ");
  });

  it("reads any text as at most the known scopes it names", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...SCOPES, "", " ADMIN", "admin", "ADMIN ", "SUPERUSER"), fc.string())),
        (names) => {
          const read = scopesFromColumn(names.join(","))!;
          expect(read).toEqual(sortScopes(read));
          for (const scope of read) expect(names).toContain(scope);
        },
      ),
    );
    expect(scopesFromColumn("admin,ADMIN ,STUDENTS_READ")).toEqual([Scope.STUDENTS_READ]);
    expect(scopesFromColumn("")).toEqual([]);
  });
});
