import { gzipSync } from "node:zlib";
import { describe, expect, it, vi } from "vitest";
import { firstLoadBudget, firstLoadFiles, firstLoadReport, measureFirstLoad, type OutputItem } from "./firstLoad";

const big = (n: number) => Array.from({ length: n }, (_, i) => `export const v${i} = ${Math.random()};`).join("\n");

function bundle(): Record<string, OutputItem> {
  return {
    "index.js": { type: "chunk", fileName: "index.js", isEntry: true, imports: ["preact.js"], code: "import 'preact.js'; import('./Lazy.js');" },
    "preact.js": { type: "chunk", fileName: "preact.js", imports: ["index.js"], code: "export const h = 1;" },
    "Lazy.js": { type: "chunk", fileName: "Lazy.js", imports: ["preact.js"], code: big(50) },
    "index.css": { type: "asset", fileName: "index.css" },
  };
}

describe("first-load JS", () => {
  it("counts the entry and its static imports, not the lazy screens or assets", () => {
    expect(firstLoadFiles(bundle())).toEqual(["index.js", "preact.js"]);
    const m = measureFirstLoad(bundle());
    const gz = (s: string) => gzipSync(s, { level: 9 }).length;
    expect(m.bytes).toBe(gz(bundle()["index.js"]!.code!) + gz(bundle()["preact.js"]!.code!));
  });

  it("says the size and the limit, and whether it is over", () => {
    expect(firstLoadReport({ files: ["index.js"], bytes: 47_030 })).toEqual({ line: "first-load JS: 47.0 kB gzipped (limit 200 kB): index.js", over: false });
    expect(firstLoadReport({ files: ["index.js"], bytes: 200_001 }).over).toBe(true);
  });

  it("the build plugin prints the line, and fails the build over the limit", () => {
    const log = vi.fn();
    const ctx = { error: vi.fn((m: string) => { throw new Error(m); }) };
    const hook = (limit: number) => (firstLoadBudget(limit, log).generateBundle as unknown as (this: typeof ctx, o: unknown, b: unknown) => void).bind(ctx);
    hook(200)({}, bundle());
    expect(log.mock.calls[0]![0]).toMatch(/^first-load JS: 0\.\d kB gzipped \(limit 200 kB\): index\.js \+ preact\.js$/);
    expect(() => hook(0.01)({}, bundle())).toThrow(/over the limit/);
  });
});
