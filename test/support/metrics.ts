// Reading GET /metrics in tests: the samples of Prometheus's text format, by
// name and labels, so a test can scrape before and after and compare.

/** Sample values keyed by `name{label="value",...}` with the labels sorted. */
export type Samples = Map<string, number>;

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function key(name: string, labels: Record<string, string>): string {
  const pairs = Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${name}{${pairs.join(",")}}`;
}

/** Every sample of an exposition; throws on a line that is not a comment, blank or a sample. */
export function parseSamples(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = LINE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? "").matchAll(LABEL)) labels[name!] = JSON.parse(`"${value}"`);
    samples.set(key(match[1]!, labels), Number(match[3]));
  }
  return samples;
}

/** A sample's value; 0 for a series not (yet) exposed, as for a counter never incremented. */
export function value(samples: Samples, name: string, labels: Record<string, string> = {}): number {
  return samples.get(key(name, labels)) ?? 0;
}

/** How much each of `series` moved between two scrapes. */
export function deltas(
  before: Samples,
  after: Samples,
  series: [name: string, labels?: Record<string, string>][],
): Record<string, number> {
  return Object.fromEntries(
    series.map(([name, labels = {}]) => [key(name, labels), value(after, name, labels) - value(before, name, labels)]),
  );
}

/** The series in `after` whose name is `name` and whose value moved since `before`, with how much. */
export function moved(before: Samples, after: Samples, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) {
    if (!k.startsWith(`${name}{`)) continue;
    const d = v - (before.get(k) ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** The key `moved` and `deltas` use for a series. */
export const series = key;

/** GET `url` (a /metrics address) with an optional bearer secret; the samples, or throws with the status. */
export async function scrape(url: string, token?: string): Promise<Samples> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text}`);
  return parseSamples(text);
}
