import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The admin is built once, by `npm install` (postinstall) or `npm run build`,
// into admin/dist; the server only reads that folder (src/http/admin.ts).
// No React plugin: Vite 8 compiles TSX with Oxc's automatic JSX runtime, and
// fast refresh is not needed for a build.
export default defineConfig({
  root: dirname(fileURLToPath(import.meta.url)),
  base: "/admin/",
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    // The polyfill would be an inline script; every browser the admin supports has modulepreload.
    modulePreload: { polyfill: false },
    // Fonts and images as files, never data: URIs inlined into CSS or JS.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
    rolldownOptions: {
      // MUI's "use client" lines mean nothing outside React Server Components.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
    },
  },
});
