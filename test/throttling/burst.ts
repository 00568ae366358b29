import http from "node:http";

// Parallel bursts for the limit tests: every request on a connection of its
// own (so a cluster spreads them over its workers), all started in the same
// tick, none waiting for another.

export interface Answer {
  status: number;
  retryAfter: number | null;
  body: {
    data?: Record<string, any> | null;
    errors?: { message: string; extensions?: { code?: string; fields?: Record<string, string[]> } }[];
  };
}

export interface Request {
  query: string;
  variables: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** POST /graphql at `url` on a fresh connection. */
export function post(url: string, request: Request): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query: request.query, variables: request.variables });
    const req = http.request(
      `${url}/graphql`,
      {
        method: "POST",
        agent: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...request.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => {
          const header = res.headers["retry-after"];
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: header === undefined ? null : Number(header),
            body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Sends every request at once; `urls` are used in turn (request i goes to urls[i % n]). */
export function burst(urls: string | string[], requests: Request[]): Promise<Answer[]> {
  const targets = Array.isArray(urls) ? urls : [urls];
  return Promise.all(requests.map((r, i) => post(targets[i % targets.length]!, r)));
}

export interface Tally {
  /** Answered with `field`'s data: the request went through. */
  ok: number;
  /** BAD_USER_INPUT: for a login, one password checked and found wrong. */
  refused: number;
  /** 429 TOO_MANY_REQUESTS with a Retry-After of 1 to `maxRetryAfter` seconds. */
  throttled: number;
  /** Anything else, described, so a failure shows it. */
  other: string[];
}

export function tally(answers: Answer[], field: string, maxRetryAfter: number): Tally {
  const t: Tally = { ok: 0, refused: 0, throttled: 0, other: [] };
  for (const a of answers) {
    const code = a.body.errors?.[0]?.extensions?.code;
    if (a.status === 200 && a.body.data?.[field] && !a.body.errors) t.ok++;
    else if (a.status === 200 && code === "BAD_USER_INPUT") t.refused++;
    else if (
      a.status === 429 &&
      code === "TOO_MANY_REQUESTS" &&
      a.body.data === undefined &&
      a.retryAfter !== null &&
      a.retryAfter >= 1 &&
      a.retryAfter <= maxRetryAfter
    ) {
      t.throttled++;
    } else t.other.push(`${a.status} ${a.retryAfter} ${JSON.stringify(a.body).slice(0, 300)}`);
  }
  return t;
}

export const OBTAIN = `mutation ($username: String!, $password: String!) {
  obtainToken(username: $username, password: $password) { token }
}`;
export const REGISTER = `mutation ($input: NewUserInput!) { register(input: $input) { token } }`;
export const CHANGE_PASSWORD = `mutation ($old: String!, $new: String!) {
  changePassword(oldPassword: $old, newPassword: $new) { token }
}`;

/** `size` logins for `username`: all with wrong passwords, except `right` at index `rightAt` when given. */
export function logins(username: string, size: number, right?: { password: string; at: number }): Request[] {
  return Array.from({ length: size }, (_, i) => ({
    query: OBTAIN,
    variables: { username, password: right && i === right.at ? right.password : `wrong guess ${i}` },
  }));
}

/** `size` sign-ups with distinct usernames starting with `prefix`. */
export function registrations(prefix: string, size: number): Request[] {
  return Array.from({ length: size }, (_, i) => ({
    query: REGISTER,
    variables: {
      input: { username: `${prefix}${i}`, email: `${prefix}${i}@example.com`, password: "a long enough passphrase 1" },
    },
  }));
}
