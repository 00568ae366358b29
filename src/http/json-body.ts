import type { FastifyInstance } from "fastify";
import { ApiError, MESSAGES } from "../shared/errors";

// JSON bodies: Fastify's own parser (secure-json-parse, which refuses
// `__proto__` and `constructor.prototype` keys), behind a bound on nesting.
// JSON.parse spends far more per level of nesting than per byte: 1 MB of
// `[[[[...]]]]` held the event loop about a second, where 1 MB of flat JSON
// takes a few ms. A single pass over the text finds its depth, stopping at
// the first level over the bound, so such a body is refused before any
// parsing. GraphQL needs few levels: the body, `variables`, an input object
// and its lists.

/** The deepest JSON body accepted: `{}` is 1 level, `{"variables": {"input": {}}}` 3. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether a JSON text nests arrays and objects deeper than `max`. Brackets
 * inside strings do not count. Text that is not JSON gets some answer:
 * JSON.parse refuses it afterwards either way.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // To the closing quote: the next one after an even run of backslashes.
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i === -1) return false;
        let backslashes = 0;
        while (text.charCodeAt(i - 1 - backslashes) === BACKSLASH) backslashes++;
        if (backslashes % 2 === 0) break;
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

/** application/json through Fastify's default parser, once the depth bound holds. */
export function registerJsonParser(fastify: FastifyInstance): void {
  // Fastify's defaults for both: a poisoned key is a 400, not a silent drop.
  const parseJson = fastify.getDefaultJsonParser("error", "error");
  fastify.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    // parseAs "string": Fastify hands over the body decoded.
    const text = body as string;
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH))
      done(new ApiError("BAD_REQUEST", MESSAGES.jsonTooDeep(MAX_JSON_DEPTH)), undefined);
    else void parseJson(request, text, done);
  });
}
