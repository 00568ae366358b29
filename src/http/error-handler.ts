import type { FastifyError, FastifyInstance } from "fastify";
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";

// Failures before GraphQL runs (bad JSON, wrong content type, a body over the
// limit) answered in GraphQL's error shape, with Fastify's 4xx status and
// nothing of the stack.

function codeFor(status: number): string {
  if (status === 413) return "PAYLOAD_TOO_LARGE";
  if (status === 415) return "UNSUPPORTED_MEDIA_TYPE";
  if (status === 404) return "NOT_FOUND";
  return status < 500 ? "BAD_REQUEST" : "INTERNAL_SERVER_ERROR";
}

const MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: "The request body is not valid JSON.",
  FST_ERR_CTP_EMPTY_JSON_BODY: "The request body is empty; send a JSON object with a query.",
  FST_ERR_CTP_BODY_TOO_LARGE: "The request body is too large.",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "Unsupported content type: send application/json.",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "The Content-Length header does not match the body.",
};

export function registerErrorHandler(fastify: FastifyInstance): void {
  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, "unhandled error");
    const message = status >= 500 ? "Internal server error." : (MESSAGES[error.code] ?? error.message);
    void reply.code(status).send({ errors: [{ message, extensions: { code: codeFor(status) } }] });
  });
  fastify.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({
      errors: [{ message: `No route for ${request.method} ${request.url.split("?")[0]}.`, extensions: { code: "NOT_FOUND" } }],
    });
  });
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over
 * 16 KB, say a huge Authorization header; malformed HTTP; a slow request), in
 * the same error shape. Fastify's default answers {"error", "statusCode"}.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [status, code, message] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? [431, "REQUEST_HEADER_FIELDS_TOO_LARGE", "The request headers are too large."]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "REQUEST_TIMEOUT", "The request took too long to arrive."]
        : [400, "BAD_REQUEST", "The request is not valid HTTP."];
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
