/** The value as a JSON string, cut short: a message stays one line whatever was given. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** Largest duration accepted: ten years keeps every expiry a valid Date. */
export const MAX_DURATION_SECONDS = 10 * 365 * 86400;

/** Why a text is not a duration: its form, or its length past ten years. */
export class DurationError extends Error {
  constructor(
    message: string,
    readonly reason: "form" | "too-long",
  ) {
    super(message);
  }
}

/**
 * Parses TOKEN_TTL-style durations: a positive whole number followed by one
 * unit, `s`, `m`, `h` or `d` (`90s`, `30m`, `12h`, `30d`). Returns seconds.
 */
export function parseDuration(text: string): number {
  const match = /^([1-9][0-9]{0,9})([smhd])$/.exec(text.trim());
  if (!match) throw new DurationError(`${quote(text)} is not a duration like 90s, 30m, 12h or 30d`, "form");
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  if (seconds > MAX_DURATION_SECONDS) throw new DurationError(`${quote(text)} is longer than ten years`, "too-long");
  return seconds;
}

/** Seconds as the shortest duration text parseDuration reads back: 2592000 -> "30d", 5400 -> "90m". */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [...Object.entries(UNIT_SECONDS)].reverse()) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

const RATE_PERIOD_SECONDS: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  m: 60,
  min: 60,
  minute: 60,
  h: 3600,
  hour: 3600,
  d: 86400,
  day: 86400,
};

export interface Rate {
  /** Requests allowed per period. */
  points: number;
  /** The period, in seconds. */
  duration: number;
}

/** Parses DRF-style rates: `5/min`, `100/hour`, `1000/day`, `10/s`. */
export function parseRate(text: string): Rate {
  const match = /^([1-9][0-9]{0,6})\/([a-z]+)$/.exec(text.trim());
  const duration = match ? RATE_PERIOD_SECONDS[match[2]!] : undefined;
  if (!match || duration === undefined)
    throw new Error(`${quote(text)} is not a rate like 5/min, 100/hour or 1000/day`);
  return { points: Number(match[1]), duration };
}
