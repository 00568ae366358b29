import "reflect-metadata";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import type { AddressInfo } from "node:net";
import type { DestinationStream } from "pino";
import { createApp, type App } from "../../src/app";
import { loadConfig } from "../../src/config/config";
import { createServer } from "../../src/http/server";
import { createLogger } from "../../src/logger";
import { freshDatabaseUrl } from "./databases";

// The real thing for tests: the app's own HTTP server on an ephemeral port,
// over a fresh database of its own, of the run's provider (TEST_DATABASE).
// `env` overrides any setting; DATABASE_URL in it shares a database between servers.

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: {
    data?: T | null;
    errors?: {
      message: string;
      path?: string[];
      extensions?: { code?: string; fields?: Record<string, string[]>; [k: string]: unknown };
    }[];
  };
}

/** Variables are optional exactly when the operation has no required ones. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- `{} extends V` asks whether V has no required key
export type TypedArgs<V> = {} extends V
  ? [variables?: V, headers?: Record<string, string>]
  : [variables: V, headers?: Record<string, string>];

const printed = new WeakMap<object, string>();
/** The text a typed document is sent as (printed once). */
export function source(document: TypedDocumentNode<unknown, never>): string {
  let text = printed.get(document);
  if (text === undefined) printed.set(document, (text = print(document)));
  return text;
}

/** POST a query and its variables as JSON to `${url}/graphql`. */
export async function postGraphQL<T>(
  url: string,
  query: string,
  variables?: unknown,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResponse<T>["body"] };
}

/** A typed document sent to the server at `url` (another process, say). */
export function runAt<TData, TVariables>(
  url: string,
  document: TypedDocumentNode<TData, TVariables>,
  ...[variables, headers]: TypedArgs<TVariables>
): Promise<GraphQLResponse<TData>> {
  return postGraphQL<TData>(url, source(document), variables, headers);
}

export interface TestServer {
  url: string;
  app: App;
  /**
   * POST /graphql with a typed document from test/generated/graphql.ts: typed variables and data.
   * Every valid operation the tests send is a named operation in a .graphql file under test/ or
   * examples/ (`npm run codegen` types them), declared once and imported from there.
   */
  run<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    ...args: TypedArgs<TVariables>
  ): Promise<GraphQLResponse<TData>>;
  /**
   * A typed document with variables TypeScript does not check: only for tests of how the server
   * refuses variables that do not fit the schema (a missing input field, a wrong type).
   */
  runUnchecked<TData>(
    document: TypedDocumentNode<TData, any>,
    variables: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<TData>>;
  /**
   * POST /graphql with a query string. Only for documents that cannot be typed documents because
   * the server must refuse them (syntax errors, unknown fields or arguments, depth, alias, token and
   * cost limits, several operations, subscriptions); say why at the call. Valid operations use run().
   */
  raw<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** @deprecated The former name of raw(): use run() with a typed document, or raw() for a document meant to be refused. */
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** A user made directly through the service, with its first key. */
  user(
    username: string,
    opts?: { password?: string; staff?: boolean },
  ): Promise<{ id: number; token: string; password: string }>;
  close(): Promise<void>;
}

export const PASSWORD = "correct horse battery staple";

export interface StartOptions {
  /** Where the server's log lines go; given, LOG_LEVEL defaults to info instead of silent. */
  logDestination?: DestinationStream;
  /** The clock keys are issued and expire by (createApp's `now`). */
  now?: () => Date;
}

export async function startServer(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestServer> {
  const LOG_LEVEL = options.logDestination ? "info" : "silent";
  const DATABASE_URL = env.DATABASE_URL ?? (await freshDatabaseUrl());
  const config = loadConfig({ ...process.env, NODE_ENV: "test", LOG_LEVEL, REDIS_URL: "", ...env, DATABASE_URL });
  const logger = createLogger(config.LOG_LEVEL, options.logDestination);
  const app = createApp(config, { now: options.now, logger });
  await app.limitsReady();
  const { fastify } = await createServer(app, logger);
  await fastify.listen({ host: "127.0.0.1", port: 0 });
  const { port } = fastify.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    app,
    run: (document, ...args) => runAt(url, document, ...args),
    runUnchecked: (document, variables, headers) =>
      postGraphQL(url, source(document as TypedDocumentNode<unknown, never>), variables, headers),
    raw: (query, variables, headers) => postGraphQL(url, query, variables, headers),
    gql: (query, variables, headers) => postGraphQL(url, query, variables, headers),
    async user(username, opts = {}) {
      const password = opts.password ?? PASSWORD;
      const { user, token } = await app.services.accounts.createUser(
        { username, email: `${username}@example.com`, password, isStaff: opts.staff ?? false },
        { allowStaff: true, tokenName: "test" },
      );
      return { id: user.id, token, password };
    },
    async close() {
      await fastify.close();
      await app.close();
    },
  };
}

export const auth = (token: string) => ({ authorization: `Token ${token}` });
