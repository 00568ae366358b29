import { MESSAGES, UnauthenticatedError } from "../shared/errors";

// DRF's TokenAuthentication.authenticate, header part: the keyword decides
// whether this scheme applies at all; after that every malformed form gets
// DRF's own message.

const KEYWORDS = new Set(["token", "bearer"]);

// HTTP whitespace, as Python's bytes.split() sees it.
const WHITESPACE = /[ \t\n\v\f\r]+/;

/**
 * Returns the key sent in `Authorization`, or null when the header is absent
 * or names another scheme (the request is then anonymous). Throws
 * UnauthenticatedError for a malformed Token/Bearer header.
 *
 * Node hands header values over as latin1 strings, one char per byte; a key
 * is ASCII, so any char above 0x7e is a byte DRF could not decode.
 */
export function parseAuthorizationHeader(header: string | undefined): string | null {
  if (header === undefined) return null;
  const parts = header.split(WHITESPACE).filter((p) => p !== "");
  const keyword = parts[0];
  if (keyword === undefined || !KEYWORDS.has(keyword.toLowerCase())) return null;
  if (parts.length === 1) throw new UnauthenticatedError(MESSAGES.noCredentials);
  if (parts.length > 2) throw new UnauthenticatedError(MESSAGES.spaces);
  const key = parts[1]!;
  if (/[^\x21-\x7e]/.test(key)) throw new UnauthenticatedError(MESSAGES.invalidCharacters);
  return key;
}
