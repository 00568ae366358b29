import type { Compilable, CompiledQuery, QueryResult } from "kysely";

// Statements the request path sends on every request (the key lookup, a
// student, a page) built and compiled by Kysely once per database and
// statement shape, then sent with each request's values: building and
// compiling a statement costs more CPU than SQLite takes to run it.
// Only Kysely's public interface is used: the statement is built with
// placeholders where the values go, compiled, and sent with
// `executeQuery(compiled)` with the placeholders replaced by the values.

/** Where the n-th value of a prepared statement goes. */
class Placeholder {
  constructor(readonly index: number) {}
}

/** The n-th value, typed as what the builder expects in its place. */
export function arg<T>(index: number): T {
  return new Placeholder(index) as unknown as T;
}

const cache = new WeakMap<object, Map<string, CompiledQuery>>();

/**
 * Runs the statement `build` makes (with `arg(i)` where `values[i]` goes),
 * compiled once per database and `shape` (a key naming everything `build`
 * varies on besides the values).
 */
export async function runPrepared<R>(
  db: { executeQuery<O>(query: CompiledQuery<O>): Promise<QueryResult<O>> },
  shape: string,
  build: () => Compilable<R>,
  values: readonly unknown[],
): Promise<QueryResult<R>> {
  let byShape = cache.get(db);
  if (!byShape) cache.set(db, (byShape = new Map<string, CompiledQuery>()));
  let compiled = byShape.get(shape) as CompiledQuery<R> | undefined;
  if (!compiled) {
    compiled = build().compile();
    if (!compiled.parameters.some((p) => p instanceof Placeholder) && values.length > 0) {
      throw new Error(`prepared statement ${shape}: no placeholder in what it built`);
    }
    byShape.set(shape, compiled);
  }
  const parameters = compiled.parameters.map((p) => (p instanceof Placeholder ? values[p.index] : p));
  return db.executeQuery<R>({ ...compiled, parameters });
}
