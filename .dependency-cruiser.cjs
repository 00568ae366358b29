// `npm run cycles` (run by npm test): no import cycle in src/, between files
// or between folders (users/ -> auth/ -> users/ is a cycle even when no file
// imports itself back), and the layers point one way: the shared layers
// (graphql/, shared/, db/, config/) import no feature folder, and only the
// wiring imports accounts/. Type-only imports count: they are coupling too.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A file that imports itself back through other files.",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-circular-folders",
      severity: "error",
      comment: "Two folders of src/ that import each other: one owns the other, or a third one holds what both need.",
      scope: "folder",
      from: {},
      to: { circular: true },
    },
    {
      name: "layers-import-no-feature",
      severity: "error",
      comment:
        "graphql/, shared/, db/ and config/ are what features build on: a feature's code belongs in the feature, and the layer takes what it needs as a parameter.",
      from: { path: "^src/(graphql|shared|db|config)/" },
      to: { path: "^src/(accounts|audit|auth|users|students|throttling|manage|http)/" },
    },
    {
      name: "only-wiring-imports-accounts",
      severity: "error",
      comment: "accounts/ composes users/ and auth/; only the wiring (app.ts, schema.ts, manage/) may import it.",
      from: { path: "^src/", pathNot: "^src/(accounts/|manage/|app\\.ts$|schema\\.ts$)" },
      to: { path: "^src/accounts/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^src/generated/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
