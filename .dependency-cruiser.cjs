// `npm run cycles` (run by npm test): no import cycle in src/, between files
// or between folders (users/ -> auth/ -> users/ is a cycle even when no file
// imports itself back). Type-only imports count: they are coupling too.
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
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^src/generated/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
