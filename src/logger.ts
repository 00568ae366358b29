import pino, { type Logger } from "pino";

// Keys and passwords never reach a log line: requests log no headers and no
// body (src/http/server.ts), and these paths are censored wherever they appear.
const REDACT = [
  "req.headers.authorization",
  "headers.authorization",
  "authorization",
  "password",
  "*.password",
  "token",
  "*.token",
  "key",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT, censor: "[redacted]" }, base: { pid: process.pid } }, destination);
}
