/** @type {import('jest').Config} */
const swc = {
  jsc: {
    parser: { syntax: "typescript", decorators: true },
    // type-graphql reads field types from decorator metadata.
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: "es2022",
  },
  module: { type: "commonjs" },
  sourceMaps: "inline",
};

// TEST_DATABASE picks the provider of the whole run (scripts/test.mjs runs both).
const database = (process.env.TEST_DATABASE || "sqlite").toLowerCase().startsWith("postgres") ? "postgresql" : "sqlite";

module.exports = {
  displayName: { name: database, color: database === "sqlite" ? "cyan" : "magenta" },
  testEnvironment: "<rootDir>/test/support/node-environment.js",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", swc] },
  globalSetup: "<rootDir>/test/support/global-setup.ts",
  globalTeardown: "<rootDir>/test/support/global-teardown.ts",
  testTimeout: 30000,
  // Each test file gets its own database and server; two workers match the 2 cores.
  maxWorkers: 2,
  // A worker with nothing left open still takes time to exit: Node frees its
  // V8 heap (about 1 GB after some 40 test files) one page at a time, 0.5 to
  // 0.8 s on a busy 2-core machine, past jest's default of 500 ms, after which
  // jest kills it and reports "a worker process has failed to exit gracefully".
  // A handle left open keeps a worker alive past any wait, and is still reported.
  workerGracefulExitTimeout: 3000,
};
