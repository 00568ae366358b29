import { existsSync } from "node:fs";

// Tests that drive a Debian program (chromium, httpie): on CI a missing
// program is a failure (.ci/run installs it); on a developer's machine the
// tests are skipped with a visible note.

export function onCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
}

/** `it` when the program exists; on CI a failing test; locally `it.skip` and a note. */
export function itWithTool(path: string, debianPackage: string): jest.It {
  if (existsSync(path)) return it;
  const why = `${path} is missing: install the Debian package \`${debianPackage}\` (sudo apt-get install ${debianPackage})`;
  if (onCI()) {
    const failing = ((name: string) =>
      it(name, () => {
        throw new Error(`${why}; .ci/run installs it`);
      })) as unknown as jest.It;
    return failing;
  }
  process.stderr.write(`\n  SKIPPED: ${why}.\n\n`);
  return it.skip;
}
