import type { FastifyError, FastifyInstance } from "fastify";
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { ERROR_STATUS, MESSAGES, errorBody, type ErrorCode } from "../shared/errors";

// Failures before GraphQL runs (bad JSON, wrong content type, a body over the
// limit) answered in GraphQL's error shape, with Fastify's 4xx status and
// nothing of the stack.

const HTTP_CODES = [
  "METHOD_NOT_ALLOWED",
  "REQUEST_TIMEOUT",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "REQUEST_HEADER_FIELDS_TOO_LARGE",
] as const;

/** The code of a status Fastify chose, from the one table of codes. */
function codeFor(status: number): ErrorCode {
  if (status === 404) return "NOT_FOUND";
  return (
    HTTP_CODES.find((code) => ERROR_STATUS[code] === status) ?? (status < 500 ? "BAD_REQUEST" : "INTERNAL_SERVER_ERROR")
  );
}

/** Fastify's refusals, in our words. */
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: MESSAGES.invalidJson,
  FST_ERR_CTP_EMPTY_JSON_BODY: MESSAGES.emptyBody,
  FST_ERR_CTP_BODY_TOO_LARGE: MESSAGES.bodyTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: MESSAGES.unsupportedMediaType,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: MESSAGES.contentLengthMismatch,
};

export function registerErrorHandler(fastify: FastifyInstance): void {
  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, "unhandled error");
    const message = status >= 500 ? MESSAGES.internal : (FASTIFY_MESSAGES[error.code] ?? error.message);
    void reply.code(status).send(errorBody(codeFor(status), message));
  });
  fastify.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(errorBody("NOT_FOUND", MESSAGES.noRoute(request.method, request.url.split("?")[0]!)));
  });
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over
 * 16 KB, say a huge Authorization header; malformed HTTP; a slow request), in
 * the same error shape. Fastify's default answers {"error", "statusCode"}.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [code, message]: [ErrorCode, string] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? ["REQUEST_HEADER_FIELDS_TOO_LARGE", MESSAGES.headersTooLarge]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? ["REQUEST_TIMEOUT", MESSAGES.requestTimeout]
        : ["BAD_REQUEST", MESSAGES.notHttp];
  const status = ERROR_STATUS[code];
  const body = JSON.stringify(errorBody(code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
