/** The console's build: one hashed entry chunk, the graph (cytoscape) in its own chunk loaded when first shown. */
import { defineConfig } from "vite"

export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // Not `assets`: that is the API's asset inventory (`GET /assets`); the gateway serves this folder.
    assetsDir: "static",
    reportCompressedSize: true,
    chunkSizeWarningLimit: 600
  }
})
