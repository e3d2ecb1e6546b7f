/// <reference types="vitest/config" />
import { existsSync, readFileSync } from "node:fs";
import { defineConfig, type Plugin } from "vite";
import { firstLoadBudget } from "./scripts/firstLoad";

// `npm run dev` has no local system in front of it, so answer ./config.json here.
// The built app never contains a config.json: the local system (and S3 in AWS) serves its own.
function devConfig(): Plugin {
  return {
    name: "haishin-dev-config",
    apply: "serve",
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (!req.url || !req.url.split("?")[0]!.endsWith("/config.json")) return next();
        const file = new URL("./config.dev.json", import.meta.url);
        const body = existsSync(file)
          ? readFileSync(file, "utf8")
          : JSON.stringify({ apiBase: "http://127.0.0.1:3000", authMode: "dev" });
        res.setHeader("Content-Type", "application/json");
        res.end(body);
      });
    },
  };
}

export default defineConfig({
  // Relative asset URLs: the same build works under /admin/ (local system) and / (CloudFront).
  base: "./",
  // Prints "first-load JS: N kB gzipped (limit 200 kB)" after each build; fails the build over the limit.
  plugins: [devConfig(), firstLoadBudget()],
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    reportCompressedSize: true,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}", "scripts/**/*.test.ts"],
    restoreMocks: true,
  },
});
