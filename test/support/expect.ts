import type { GraphQLResponse } from "./server";

// Assertions on the contract's error shape: code, HTTP status, message, fields.

export interface ExpectedError {
  code: string;
  status?: number;
  message?: string;
  fields?: Record<string, string[]>;
}

/** The response's only error, checked against the contract; returns it. */
export function expectError(res: GraphQLResponse<unknown>, expected: ExpectedError) {
  expect(res.body.errors).toHaveLength(1);
  const error = res.body.errors![0]!;
  expect(error.extensions?.code).toBe(expected.code);
  const status =
    expected.status ?? { UNAUTHENTICATED: 401, FORBIDDEN: 403, TOO_MANY_REQUESTS: 429 }[expected.code] ?? 200;
  expect(res.status).toBe(status);
  if (expected.code === "UNAUTHENTICATED") expect(res.headers.get("www-authenticate")).toBe("Token");
  if (expected.message !== undefined) expect(error.message).toBe(expected.message);
  if (expected.fields !== undefined) expect(error.extensions?.fields).toEqual(expected.fields);
  // Never a stack trace or an internal error in a client failure.
  expect(error.extensions?.code).not.toBe("INTERNAL_SERVER_ERROR");
  return error;
}

export const NOT_AUTHENTICATED = { code: "UNAUTHENTICATED", message: "Authentication credentials were not provided." };
export const NOT_STAFF = { code: "FORBIDDEN", message: "You do not have permission to perform this action." };
export const NOT_FOUND = { code: "NOT_FOUND", message: "Not found." };
