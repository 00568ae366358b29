import { existsSync } from "node:fs";
import { itSkipped } from "./providers";

// Tests that drive a Debian program (chromium, httpie): on CI a missing
// program is a failure (.ci/run installs it); on a developer's machine the
// tests are skipped, the reason at the end of their title.

export function onCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
}

/** `it` when the program exists; on CI a failing test; locally skipped, saying why. */
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
  return itSkipped(`${path} missing, apt-get install ${debianPackage}`);
}

/** `it` when every program exists; otherwise as itWithTool, naming each missing one. */
export function itWithTools(tools: readonly (readonly [path: string, debianPackage: string])[]): jest.It {
  const missing = tools.filter(([path]) => !existsSync(path));
  if (missing.length === 0) return it;
  const why = missing.map(([path, pkg]) => `${path} is missing (Debian package \`${pkg}\`)`).join("; ");
  const install = `sudo apt-get install ${missing.map(([, pkg]) => pkg).join(" ")}`;
  if (onCI()) {
    const failing = ((name: string) =>
      it(name, () => {
        throw new Error(`${why}; .ci/run installs them`);
      })) as unknown as jest.It;
    return failing;
  }
  return itSkipped(`${missing.map(([path]) => path).join(" and ")} missing, ${install.replace(/^sudo /, "")}`);
}
