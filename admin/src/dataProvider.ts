import { HttpError, type DataProvider, type GetListParams, type Identifier, type RaRecord } from "react-admin";
import { ApiError, gql } from "./graphql";
import {
  AdminAllTokensDocument,
  AdminAuthEventsDocument,
  AdminCreateStudentDocument,
  AdminCreateTokenDocument,
  AdminCreateUserDocument,
  AdminDeleteStudentDocument,
  AdminDeleteUserDocument,
  AdminPatchUserDocument,
  AdminRevokeTokenDocument,
  AdminStudentDocument,
  AdminStudentsDocument,
  AdminUpdateStudentDocument,
  AdminUserDocument,
  AdminUserTokensDocument,
  AdminUsersDocument,
  type AdminTokenFragment,
  type AuthEventKind,
  type Scope,
  type StudentOrder,
  type UserOrder,
} from "./generated/graphql";

// react-admin's data provider over our GraphQL API: four resources, users,
// tokens (keys), students and authEvents (the audit trail, read only), each
// method one typed operation. API errors
// become HttpErrors with the status (401 ends the session in authProvider)
// and extensions.fields as body.errors, which react-admin shows on the
// form's fields.

type Row = RaRecord & Record<string, unknown>;

function toHttpError(e: unknown): unknown {
  if (!(e instanceof ApiError)) return e;
  const errors = e.fields
    ? Object.fromEntries(Object.entries(e.fields).map(([field, messages]) => [field, messages.join(" ")]))
    : undefined;
  return new HttpError(e.message, e.status, { code: e.code, retryAfter: e.retryAfter, ...(errors ? { errors } : {}) });
}

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw toHttpError(e);
  }
}

function page({ pagination }: Pick<GetListParams, "pagination">) {
  const perPage = Math.min(100, Math.max(1, pagination?.perPage ?? 20));
  return { limit: perPage, offset: ((pagination?.page ?? 1) - 1) * perPage };
}

function searchOf(filter: Record<string, unknown>): string | null {
  return typeof filter.q === "string" && filter.q.trim() ? filter.q : null;
}

const USER_ORDER: Record<string, [UserOrder, UserOrder]> = {
  id: ["ID_ASC", "ID_DESC"],
  username: ["USERNAME_ASC", "USERNAME_DESC"],
  dateJoined: ["DATE_JOINED_ASC", "DATE_JOINED_DESC"],
};
const STUDENT_ORDER: Record<string, [StudentOrder, StudentOrder]> = {
  id: ["ID_ASC", "ID_DESC"],
  name: ["NAME_ASC", "NAME_DESC"],
  roll: ["ROLL_ASC", "ROLL_DESC"],
};

function order<T extends string>(map: Record<string, [T, T]>, sort: GetListParams["sort"]): T {
  const pair = map[sort?.field ?? "id"] ?? map.id!;
  return sort?.order === "DESC" ? pair[1] : pair[0];
}

const optionalBoolean = (v: unknown) =>
  v === true || v === "true" ? true : v === false || v === "false" ? false : null;

const tokenRow = (t: AdminTokenFragment): Row => ({ ...t, username: t.user.username, userId: t.user.id });

function unsupported(what: string): never {
  throw new HttpError(`The admin does not ${what}.`, 400);
}

/** What the Issue a key dialog asks for. */
export interface KeyRequest {
  name: string;
  /** Null: everything the user may. */
  scopes: Scope[] | null;
  /** A duration (7d); null: the server's default (TOKEN_TTL, or never). */
  expiresIn: string | null;
}

export interface IssuedKey {
  token: string;
  expiresAt: string | null;
  scopes: Scope[] | null;
  username: string;
}

export interface AdminDataProvider extends DataProvider {
  issueKey(userId: Identifier, request: KeyRequest): Promise<IssuedKey>;
  revokeAllKeys(userId: Identifier): Promise<number>;
  setPassword(userId: Identifier, password: string): Promise<void>;
}

async function getOne(resource: string, id: Identifier): Promise<Row> {
  switch (resource) {
    case "users": {
      const { user } = await gql(AdminUserDocument, { id: String(id) });
      if (!user) throw new HttpError("Not found.", 404);
      return user;
    }
    case "students": {
      const { student } = await gql(AdminStudentDocument, { id: String(id) });
      if (!student) throw new HttpError("Not found.", 404);
      return student;
    }
    default:
      return unsupported(`show one ${resource}`);
  }
}

/** A date-time input's value (local time, no zone) as the API's ISO-8601 UTC, or null when empty. */
function instant(value: unknown): string | null {
  if (typeof value !== "string" || value === "") return null;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? null : time.toISOString();
}

/** A page of the audit trail, newest first (the API's only order). */
async function authEvents(params: Pick<GetListParams, "pagination">, filter: Record<string, unknown>) {
  const { authEvents } = await gql(AdminAuthEventsDocument, {
    ...page(params),
    kind: typeof filter.kind === "string" && filter.kind ? (filter.kind as AuthEventKind) : null,
    userId: filter.userId == null || filter.userId === "" ? null : String(filter.userId),
    since: instant(filter.since),
    until: instant(filter.until),
  });
  return { data: authEvents.results, total: authEvents.count };
}

export const dataProvider: AdminDataProvider = {
  getList: (resource, params) =>
    call(async () => {
      const filter = params.filter ?? {};
      switch (resource) {
        case "users": {
          const { users } = await gql(AdminUsersDocument, {
            ...page(params),
            search: searchOf(filter),
            isStaff: optionalBoolean(filter.isStaff),
            isActive: optionalBoolean(filter.isActive),
            orderBy: order(USER_ORDER, params.sort),
          });
          return { data: users.results, total: users.count };
        }
        case "students": {
          const { students } = await gql(AdminStudentsDocument, {
            ...page(params),
            search: searchOf(filter),
            orderBy: order(STUDENT_ORDER, params.sort),
          });
          return { data: students.results, total: students.count };
        }
        case "tokens": {
          const { allTokens } = await gql(AdminAllTokensDocument, { ...page(params), search: searchOf(filter) });
          return { data: allTokens.results.map(tokenRow), total: allTokens.count };
        }
        case "authEvents":
          return authEvents(params, filter);
        default:
          return unsupported(`list ${resource}`);
      }
    }) as never,

  getOne: (resource, params) => call(async () => ({ data: await getOne(resource, params.id) })) as never,

  getMany: (resource, params) =>
    call(async () => ({ data: await Promise.all(params.ids.map((id) => getOne(resource, id))) })) as never,

  // A user's keys: the API gives them all at once (a user has few), newest last.
  // A user's recent events: a page of the trail, by or about them.
  getManyReference: (resource, params) =>
    call(async () => {
      if (resource === "authEvents" && params.target === "userId")
        return authEvents(params, { ...params.filter, userId: params.id });
      if (resource !== "tokens" || params.target !== "userId")
        return unsupported(`list ${resource} by ${params.target}`);
      const { tokens } = await gql(AdminUserTokensDocument, { userId: String(params.id) });
      const rows = tokens.map(tokenRow).reverse();
      const { limit, offset } = page(params);
      return { data: rows.slice(offset, offset + limit), total: rows.length };
    }) as never,

  create: (resource, params) =>
    call(async () => {
      const d = params.data as Record<string, unknown>;
      switch (resource) {
        case "users": {
          const { createUser } = await gql(AdminCreateUserDocument, {
            input: {
              username: String(d.username ?? ""),
              email: String(d.email ?? ""),
              password: String(d.password ?? ""),
              isStaff: d.isStaff === true,
            },
          });
          return { data: createUser.user };
        }
        case "students": {
          const { createStudent } = await gql(AdminCreateStudentDocument, {
            input: { name: String(d.name ?? ""), roll: Number(d.roll), city: String(d.city ?? "") },
          });
          return { data: createStudent };
        }
        default:
          return unsupported(`create ${resource}`);
      }
    }) as never,

  update: (resource, params) =>
    call(async () => {
      const d = params.data as Record<string, unknown>;
      switch (resource) {
        case "users": {
          const { patchUser } = await gql(AdminPatchUserDocument, {
            id: String(params.id),
            input: {
              username: String(d.username ?? ""),
              email: String(d.email ?? ""),
              isStaff: d.isStaff === true,
              isActive: d.isActive === true,
            },
          });
          return { data: patchUser };
        }
        case "students": {
          const { updateStudent } = await gql(AdminUpdateStudentDocument, {
            id: String(params.id),
            input: { name: String(d.name ?? ""), roll: Number(d.roll), city: String(d.city ?? "") },
          });
          return { data: updateStudent };
        }
        default:
          return unsupported(`edit ${resource}`);
      }
    }) as never,

  updateMany: () => call(async () => unsupported("edit several records at once")),

  delete: (resource, params) =>
    call(async () => {
      const id = String(params.id);
      if (resource === "users") await gql(AdminDeleteUserDocument, { id });
      else if (resource === "students") await gql(AdminDeleteStudentDocument, { id });
      else if (resource === "tokens") await gql(AdminRevokeTokenDocument, { id });
      else unsupported(`delete ${resource}`);
      return { data: params.previousData ?? { id: params.id } };
    }) as never,

  deleteMany: (resource, params) =>
    call(async () => {
      for (const id of params.ids) await dataProvider.delete(resource, { id });
      return { data: params.ids };
    }),

  issueKey: (userId, request) =>
    call(async () => {
      const { createToken } = await gql(AdminCreateTokenDocument, {
        userId: String(userId),
        name: request.name.trim() || null,
        scopes: request.scopes,
        expiresIn: request.expiresIn,
      });
      return {
        token: createToken.token,
        expiresAt: createToken.expiresAt ?? null,
        scopes: createToken.scopes ?? null,
        username: createToken.user.username,
      };
    }),

  // The API revokes all of one's own keys only; for another user each key
  // goes by id. This session's own key, if among them, goes last.
  revokeAllKeys: (userId) =>
    call(async () => {
      const { tokens } = await gql(AdminUserTokensDocument, { userId: String(userId) });
      const ordered = [...tokens.filter((t) => !t.current), ...tokens.filter((t) => t.current)];
      for (const t of ordered) await gql(AdminRevokeTokenDocument, { id: t.id });
      return ordered.length;
    }),

  setPassword: (userId, password) =>
    call(async () => {
      await gql(AdminPatchUserDocument, { id: String(userId), input: { password } });
    }),
};
