// ESLint flat config: typescript-eslint's type-aware rules on the TypeScript
// sources (src, test, bench, scripts), the plain recommended set on the few
// JavaScript files. Formatting is Prettier's job, so no stylistic rules here.
import comments from "@eslint-community/eslint-plugin-eslint-comments/configs";
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "bench/dist/**",
      "bench/results/**",
      "bench/profiles/**",
      "src/generated/**",
      "test/generated/**",
      "admin/dist/**",
      "admin/src/generated/**",
      "coverage/**",
      "test-artifacts/**",
      "data/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  comments.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // Every eslint-disable says why on the same line (`-- reason`).
      "@eslint-community/eslint-comments/require-description": ["error", { ignore: ["eslint-enable"] }],
      "@eslint-community/eslint-comments/no-unused-disable": "error",
      "@typescript-eslint/ban-ts-comment": ["error", { "ts-expect-error": "allow-with-description" }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      // type-graphql resolvers and services are async to satisfy an interface
      // (a resolver map, a Promise-returning service contract) even when one
      // implementation happens not to await: flagging them adds noise, not safety.
      "@typescript-eslint/require-await": "off",
      // Fastify hooks and Node's event emitters take callbacks that may return
      // promises; the rule's void-return check flags the framework's own idiom.
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
      // Numbers and booleans in template literals are fine in messages and SQL
      // fragments; `any`, objects and nullish values stay errors.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    // Tests and the bench read raw JSON bodies and child-process output,
    // typed `any` by JSON.parse and fetch; the assertions that follow check
    // their shape, so a wrong guess fails the test at run time instead of
    // hiding a bug. Typed documents (test/generated) type the GraphQL ones.
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      // `expect(obj.method)` passes a method reference without calling it.
      "@typescript-eslint/unbound-method": "off",
    },
  },
  {
    // The admin is react-admin's: its DataProvider hands records over as
    // `any` by its own types, and its auth provider rejects with react-admin's
    // `{ message }` objects, not Errors. What reaches the API is typed by
    // codegen's documents, and the API checks every value again.
    files: ["admin/src/**/*.{ts,tsx}"],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-base-to-string": "off",
      "@typescript-eslint/only-throw-error": "off",
    },
  },
  {
    // The playground page's script runs in the browser on GraphiQL's UMD
    // bundles, which define these globals.
    files: ["src/http/playground/**/*.js"],
    languageOptions: {
      sourceType: "script",
      globals: { ...globals.browser, React: "readonly", ReactDOM: "readonly", GraphiQL: "readonly" },
    },
  },
  {
    files: ["**/*.{js,mjs,cjs}"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ["**/*.{js,cjs}"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
