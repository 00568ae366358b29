import type { DestinationStream } from "pino";

// The server's log lines, captured from pino (startServer's logDestination)
// for tests that read what the server logged.

/** What every pino line has; tests name the fields they read. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface CapturedLogs<L extends LogLine> {
  /** Give it to startServer: `startServer(env, { logDestination: logs.destination })`. */
  destination: DestinationStream;
  /** Everything logged so far, as written. */
  text(): string;
  /** Every complete line so far, parsed. */
  lines(): L[];
  /** The number of complete lines so far: a mark for since() and waitFor(). */
  mark(): number;
  /** The lines logged after `mark`. */
  since(mark: number): L[];
  /**
   * The first line with this `msg` after `mark`, once it is logged (the
   * request line is written after the answer has gone); rejects after
   * `timeoutMs`, naming what was logged instead.
   */
  waitFor(msg: string, mark?: number, timeoutMs?: number): Promise<L>;
}

export function captureLogs<L extends LogLine = LogLine>(): CapturedLogs<L> {
  let text = "";
  const listeners = new Set<() => void>();
  const lines = () =>
    text
      .split("\n")
      .slice(0, -1) // the part after the last newline is not a whole line yet
      .map((l) => JSON.parse(l) as L);
  const since = (mark: number) => lines().slice(mark);
  return {
    destination: {
      write(chunk: string) {
        text += chunk;
        for (const l of listeners) l();
      },
    },
    text: () => text,
    lines,
    mark: () => lines().length,
    since,
    waitFor(msg, mark = 0, timeoutMs = 10_000) {
      return new Promise<L>((resolve, reject) => {
        const check = () => {
          const line = since(mark).find((l) => l.msg === msg);
          if (line) done(() => resolve(line));
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(
                new Error(
                  `no "${msg}" line logged within ${timeoutMs} ms:\n${since(mark)
                    .map((l) => JSON.stringify(l))
                    .join("\n")}`,
                ),
              ),
            ),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
  };
}
