import type { FastifyInstance } from "fastify";

// GET /: a person who opens the server's address finds the playground and the
// endpoint. A short page rather than a redirect, so curl shows where to go too.

const PAGE = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>drf-token-graphql</title>
<h1>drf-token-graphql</h1>
<ul>
<li><a href="/playground">/playground</a>: explore the API in the browser (put <code>Authorization: Token &lt;key&gt;</code> in the headers editor)</li>
<li><a href="/graphql">/graphql</a>: the GraphQL endpoint (POST JSON <code>{"query": ...}</code>, or GET <code>?query=</code>)</li>
<li><a href="/schema.graphql">/schema.graphql</a>: the schema as SDL</li>
</ul>
</html>
`;

export function registerHome(fastify: FastifyInstance): void {
  fastify.get("/", async (_request, reply) =>
    reply
      .type("text/html; charset=utf-8")
      .header("content-security-policy", "default-src 'none'")
      .header("x-content-type-options", "nosniff")
      .send(PAGE),
  );
}
