// The LIFF pages' script (src/liff/main.ts, with the official @line/liff SDK and LINE's mock plugin), built into
// the domain layer as one file the pages function serves at /liff/app.js (haishin/pages/liff.py): the page loads
// nothing from the internet. `npm run build` runs it after the admin's own build.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  build: {
    target: "es2020",
    outDir: fileURLToPath(new URL("../layers/haishin/haishin/pages/static", import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    copyPublicDir: false,
    lib: {
      entry: fileURLToPath(new URL("./src/liff/main.ts", import.meta.url)),
      formats: ["iife"],
      name: "HaishinLiff",
      fileName: () => "liff.js",
    },
  },
});
