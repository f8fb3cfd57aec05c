import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// The console is served by the Tessera binary; in development `npm run dev`
// proxies the API to a server on :8080.
const api = "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // No inline scripts or module-preload polyfill: the server's CSP
    // allows scripts from this origin only.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    proxy: {
      "/api": api,
      "/v1": api,
      "/.well-known": api,
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
  },
});
