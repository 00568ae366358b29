import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";

type Info = Pick<GraphQLResolveInfo, "fieldNodes" | "fragments">;

/**
 * The fields the field being resolved selects of its result, or, with
 * `path`, of the object found by following those fields (e.g. ["results"]
 * for a page's rows), looking through fragments. A field under
 * @skip/@include counts as selected: the answer may cost a little more
 * work, never a wrong one.
 */
export function selectedFields(info: Info, path: readonly string[] = []): Set<string> {
  const found = new Set<string>();
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode | undefined, depth: number): void => {
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) {
        if (depth === path.length) found.add(s.name.value);
        else if (s.name.value === path[depth]) visit(s.selectionSet, depth + 1);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        visit(s.selectionSet, depth);
      } else if (!seen.has(`${depth}:${s.name.value}`)) {
        seen.add(`${depth}:${s.name.value}`);
        visit(info.fragments[s.name.value]?.selectionSet, depth);
      }
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet, 0);
  return found;
}
