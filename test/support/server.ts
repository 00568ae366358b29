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
    errors?: { message: string; path?: string[]; extensions?: { code?: string; fields?: Record<string, string[]>; [k: string]: unknown } }[];
  };
}

/** Variables are optional exactly when the operation has no required ones. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- `{} extends V` asks whether V has no required key
export type TypedArgs<V> = {} extends V
  ? [variables?: V, headers?: Record<string, string>]
  : [variables: V, headers?: Record<string, string>];

const printed = new WeakMap<object, string>();
function source(document: TypedDocumentNode<unknown, never>): string {
  let text = printed.get(document);
  if (text === undefined) printed.set(document, (text = print(document)));
  return text;
}

export interface TestServer {
  url: string;
  app: App;
  /** POST /graphql with a JSON body. */
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** POST /graphql with a typed document from test/generated/graphql.ts (`npm run codegen`): typed variables and data. */
  run<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    ...args: TypedArgs<TVariables>
  ): Promise<GraphQLResponse<TData>>;
  /** A user made directly through the service, with its first key. */
  user(username: string, opts?: { password?: string; staff?: boolean }): Promise<{ id: number; token: string; password: string }>;
  close(): Promise<void>;
}

export const PASSWORD = "correct horse battery staple";

export interface StartOptions {
  /** Where the server's log lines go; given, LOG_LEVEL defaults to info instead of silent. */
  logDestination?: DestinationStream;
}

export async function startServer(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestServer> {
  const LOG_LEVEL = options.logDestination ? "info" : "silent";
  const DATABASE_URL = env.DATABASE_URL ?? (await freshDatabaseUrl());
  const config = loadConfig({ ...process.env, NODE_ENV: "test", LOG_LEVEL, REDIS_URL: "", ...env, DATABASE_URL });
  const app = createApp(config);
  const { fastify } = await createServer(app, createLogger(config.LOG_LEVEL, options.logDestination));
  await fastify.listen({ host: "127.0.0.1", port: 0 });
  const { port } = fastify.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const post = async <T>(query: string, variables?: unknown, headers: Record<string, string> = {}): Promise<GraphQLResponse<T>> => {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResponse<T>["body"] };
  };

  return {
    url,
    app,
    gql: (query, variables, headers) => post(query, variables, headers),
    run: (document, ...[variables, headers]) => post(source(document as TypedDocumentNode<unknown, never>), variables, headers),
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
