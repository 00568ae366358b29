// Jest's node environment, with the process's own Error in every test file.
// better-sqlite3's native addon is loaded once per process and keeps the
// SqliteError class of the first test file that loaded it; in the next file's
// sandbox that class no longer extends the sandbox's Error, so graphql-js
// (inside the sandbox) would report a database failure as a "NonErrorThrown"
// value instead of the error itself. Outside jest there is one realm and no
// such difference.
const { TestEnvironment } = require("jest-environment-node");

class SharedErrorEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.global.Error = Error;
  }
}

module.exports = SharedErrorEnvironment;
