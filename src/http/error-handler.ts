import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { internalRefusal, refusalAnswer } from "../graphql/error-shape";
import { ApiError, ERRORS, MESSAGES, type ErrorCode } from "../shared/errors";

// Failures before GraphQL runs (bad JSON, wrong content type, a body over the
// limit, a hook's refusal) raised as, or translated into, ApiErrors and
// answered in GraphQL's error shape by error-shape.ts, never with a stack.

const HTTP_CODES = [
  "NOT_FOUND",
  "METHOD_NOT_ALLOWED",
  "REQUEST_TIMEOUT",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "REQUEST_HEADER_FIELDS_TOO_LARGE",
] as const satisfies ErrorCode[];

/** The code of a 4xx status Fastify chose; one without a code of its own is a BAD_REQUEST. */
function codeFor(status: number): ErrorCode {
  return HTTP_CODES.find((code) => ERRORS[code].status === status) ?? "BAD_REQUEST";
}

/** Fastify's refusals, in our words. */
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: MESSAGES.invalidJson,
  FST_ERR_CTP_EMPTY_JSON_BODY: MESSAGES.emptyBody,
  FST_ERR_CTP_BODY_TOO_LARGE: MESSAGES.bodyTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: MESSAGES.unsupportedMediaType,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: MESSAGES.contentLengthMismatch,
};

/** Any error a hook, a parser or a route raised, as the ApiError it stands for. */
function refusalOf(error: FastifyError | ApiError, request: FastifyRequest): ApiError {
  if (error instanceof ApiError) return error;
  const status = error.statusCode;
  if (status === undefined || status < 400 || status >= 500) return internalRefusal(request, error, "http");
  return new ApiError(codeFor(status), FASTIFY_MESSAGES[error.code] ?? error.message);
}

/** Answers `error` as error-shape.ts shapes it; `headers` are the route's own (they win). */
export function sendError(reply: FastifyReply, error: ApiError, headers: Record<string, string> = {}): FastifyReply {
  const answer = refusalAnswer(error);
  return reply
    .code(answer.status)
    .headers({ ...answer.headers, ...headers })
    .send(answer.body);
}

export function registerErrorHandler(fastify: FastifyInstance): void {
  fastify.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    void sendError(reply, refusalOf(error, request));
  });
  fastify.setNotFoundHandler((request, reply) => {
    void sendError(reply, new ApiError("NOT_FOUND", MESSAGES.noRoute(request.method, request.url.split("?")[0]!)));
  });
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over
 * 16 KB, say a huge Authorization header; malformed HTTP; a slow request), in
 * the same error shape. Fastify's default answers {"error", "statusCode"}.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const refusal =
    error.code === "HPE_HEADER_OVERFLOW"
      ? new ApiError("REQUEST_HEADER_FIELDS_TOO_LARGE", MESSAGES.headersTooLarge)
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? new ApiError("REQUEST_TIMEOUT", MESSAGES.requestTimeout)
        : new ApiError("BAD_REQUEST", MESSAGES.notHttp);
  const { status, headers, body } = refusalAnswer(refusal);
  const json = JSON.stringify(body);
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head.join("")}Content-Length: ${Buffer.byteLength(json)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(error);
}
