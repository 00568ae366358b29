import { rmSync } from "node:fs";
import { TEST_ROOT_ENV } from "./databases";

export default async function globalTeardown(): Promise<void> {
  const root = process.env[TEST_ROOT_ENV];
  if (root) rmSync(root, { recursive: true, force: true });
}
