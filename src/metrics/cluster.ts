import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry } from "prom-client";

// With WEB_CONCURRENCY > 1 every worker counts on its own; a scrape must see
// their sum, not the figures of whichever worker took the connection. The
// primary asks every worker for its registry over the cluster's IPC channel
// (prom-client's AggregatorRegistry) and sums them: it serves METRICS=port:
// itself, and a worker that serves /metrics on the public port
// (METRICS=bearer) asks the primary for that sum the same way.

const ASK = "drf-token-graphql:metrics-ask";
const ANSWER = "drf-token-graphql:metrics-answer";

/**
 * How long a worker waits for the primary's sum: prom-client's aggregator
 * gives up on a silent worker after 5 s, so this is only reached when the
 * primary itself does not answer.
 */
const ASK_TIMEOUT_MS = 8000;

interface Ask {
  type: typeof ASK;
  id: number;
}

interface Answer {
  type: typeof ANSWER;
  id: number;
  text?: string;
  error?: string;
}

const isAsk = (m: unknown): m is Ask => typeof m === "object" && m !== null && (m as Ask).type === ASK;
const isAnswer = (m: unknown): m is Answer => typeof m === "object" && m !== null && (m as Answer).type === ANSWER;

export interface MetricsSource {
  scrape(): Promise<string>;
  contentType: string;
}

/** In the primary: the sum of every worker's metrics, for its own listener and for the workers that ask. */
export function primaryMetrics(): MetricsSource {
  const aggregator = new AggregatorRegistry();
  const scrape = () => aggregator.clusterMetrics();
  cluster.on("message", (worker: Worker, message: unknown) => {
    if (!isAsk(message)) return;
    const answer = (a: Omit<Answer, "type" | "id">) => {
      if (worker.isConnected()) worker.send({ type: ANSWER, id: message.id, ...a } satisfies Answer);
    };
    scrape().then(
      (text) => answer({ text }),
      (e: unknown) => answer({ error: e instanceof Error ? e.message : String(e) }),
    );
  });
  return { scrape, contentType: aggregator.contentType };
}

/** In a worker: the primary's sum over every worker (see primaryMetrics). */
export function askPrimary(): () => Promise<string> {
  const pending = new Map<number, { resolve(text: string): void; reject(e: Error): void }>();
  let next = 0;
  process.on("message", (message: unknown) => {
    if (!isAnswer(message)) return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.text !== undefined) waiting?.resolve(message.text);
    else waiting?.reject(new Error(`the primary could not sum the workers' metrics: ${message.error ?? "no answer"}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      if (!process.send || !process.connected) return reject(new Error("this worker lost its channel to the primary"));
      const id = next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the primary did not answer within ${ASK_TIMEOUT_MS / 1000} s`));
      }, ASK_TIMEOUT_MS);
      const settle =
        <A>(f: (a: A) => void) =>
        (a: A) => {
          clearTimeout(timer);
          f(a);
        };
      pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
      process.send({ type: ASK, id } satisfies Ask);
    });
}
