import autocannon from "autocannon";
import type { Operation } from "./scenarios";

// One bounded autocannon run against one server.

export interface LoadResult {
  /** Responses received, any status. */
  requests: number;
  seconds: number;
  rps: number;
  /** Latency percentiles, ms. */
  p50: number;
  p99: number;
  non2xx: number;
  /** 2xx answers whose body carries GraphQL errors (e.g. a duplicate roll). */
  graphqlErrors: number;
  /** Connection errors and timeouts. */
  socketErrors: number;
}

export interface LoadOptions {
  connections: number;
  /** Seconds. */
  duration: number;
  /** Requests per second over all connections; unlimited when absent. */
  overallRate?: number;
}

export async function drive(baseUrl: string, op: Operation, opts: LoadOptions): Promise<LoadResult> {
  let graphqlErrors = 0;
  const result = await autocannon({
    url: `${baseUrl}/graphql`,
    method: "POST",
    connections: opts.connections,
    duration: opts.duration,
    overallRate: opts.overallRate,
    timeout: 30,
    requests: [
      {
        // A fresh body and key per request: random ids, unique rolls, many users.
        setupRequest: (req) => {
          const { body, headers } = op.next();
          return { ...req, method: "POST", body, headers: { ...req.headers, ...headers } };
        },
        onResponse: (_status, body) => {
          if (body.includes('"errors"')) graphqlErrors++;
        },
      },
    ],
  });
  const requests = result["2xx"] + result.non2xx;
  const seconds = result.duration;
  return {
    requests,
    seconds,
    rps: seconds > 0 ? requests / seconds : 0,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    graphqlErrors,
    socketErrors: result.errors + result.timeouts,
  };
}

/** Warm-up (discarded), then the measured run. */
export async function measure(baseUrl: string, op: Operation, opts: LoadOptions & { warmup: number }): Promise<LoadResult> {
  if (opts.warmup > 0) await drive(baseUrl, op, { ...opts, duration: opts.warmup });
  return drive(baseUrl, op, opts);
}
