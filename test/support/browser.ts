import { join } from "node:path";
import { itWithTool } from "./system-tool";

// What the browser tests share: Debian's Chromium (never a downloaded one),
// where screenshots go, and a retry for assertions on a page that settles
// asynchronously.

export const CHROMIUM = "/usr/bin/chromium";
export const ARTIFACTS = join(__dirname, "..", "..", "test-artifacts");

/** A test that needs Chromium: skipped with a message locally without it, failed on CI. */
export const itChromium = itWithTool(CHROMIUM, "chromium");

/** Retries an assertion until it passes or the time is up. */
export async function eventually(check: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
