import type { TypedDocumentString } from "./generated/graphql";

// A minimal GraphQL client for the admin: POST /graphql with the key from
// sessionStorage. Errors keep what the contract puts in them: the HTTP
// status, extensions.code, extensions.fields (per-field messages) and
// extensions.retryAfter (throttling).

const KEY = "drf-token-graphql.admin.key";

export const session = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (key: string) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
    readonly fields: Record<string, string[]> | undefined,
    readonly retryAfter: number | undefined,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string; fields?: Record<string, string[]>; retryAfter?: number };
}

export async function gql<R, V>(
  document: TypedDocumentString<R, V>,
  variables: V,
  opts: { key?: string | null } = {},
): Promise<R> {
  const key = opts.key === undefined ? session.get() : opts.key;
  // Signed out (or never in): every operation but signing in needs the key,
  // so nothing goes out; react-admin refetching after sign-out lands here.
  if (opts.key === undefined && !key) {
    throw new ApiError("Authentication credentials were not provided.", 401, "UNAUTHENTICATED", undefined, undefined);
  }
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (key) headers.authorization = `Token ${key}`;
  let response: Response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers,
      body: JSON.stringify({ query: document.toString(), variables }),
      credentials: "omit",
    });
  } catch {
    throw new ApiError("The server cannot be reached.", 0, undefined, undefined, undefined);
  }
  let body: { data?: R | null; errors?: GraphQLErrorShape[] } = {};
  try {
    body = await response.json();
  } catch {
    // A proxy's HTML error page: fall through to the status below.
  }
  const first = body.errors?.[0];
  if (first) {
    const header = Number(response.headers.get("retry-after"));
    const retryAfter = first.extensions?.retryAfter ?? (Number.isFinite(header) && header > 0 ? header : undefined);
    throw new ApiError(first.message, response.status, first.extensions?.code, first.extensions?.fields, retryAfter);
  }
  if (!response.ok || !body.data) {
    throw new ApiError(`The server answered ${response.status}.`, response.status, undefined, undefined, undefined);
  }
  return body.data;
}
