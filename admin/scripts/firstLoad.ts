/**
 * The admin's first-load JS budget (issue 18): what a browser must download before the first screen shows is the
 * entry chunk and every chunk it imports statically (lazy screens are dynamic imports and do not count), gzipped.
 * `npm run build` prints it and fails when it is over the limit.
 */
import { gzipSync } from "node:zlib";
import type { Plugin } from "vite";

export const FIRST_LOAD_LIMIT_KB = 200;

/** The part of a Rollup/Rolldown output item this needs. */
export interface OutputItem {
  type: "chunk" | "asset";
  fileName: string;
  isEntry?: boolean;
  imports?: readonly string[];
  code?: string;
}

/** Entry chunks and their static imports, transitively, in load order (no duplicates). */
export function firstLoadFiles(bundle: Record<string, OutputItem>): string[] {
  const byName = new Map(Object.values(bundle).map((o) => [o.fileName, o]));
  const seen: string[] = [];
  const visit = (name: string) => {
    const item = byName.get(name);
    if (!item || item.type !== "chunk" || seen.includes(name)) return;
    seen.push(name);
    for (const dep of item.imports ?? []) visit(dep);
  };
  for (const o of Object.values(bundle)) if (o.type === "chunk" && o.isEntry) visit(o.fileName);
  return seen;
}

export interface FirstLoad {
  files: string[];
  /** gzipped bytes of those files */
  bytes: number;
}

export function measureFirstLoad(bundle: Record<string, OutputItem>): FirstLoad {
  const files = firstLoadFiles(bundle);
  const byName = new Map(Object.values(bundle).map((o) => [o.fileName, o]));
  const bytes = files.reduce((sum, f) => sum + gzipSync(byName.get(f)?.code ?? "", { level: 9 }).length, 0);
  return { files, bytes };
}

export function firstLoadReport(m: FirstLoad, limitKb = FIRST_LOAD_LIMIT_KB): { line: string; over: boolean } {
  const kb = (m.bytes / 1000).toFixed(1);
  return { line: `first-load JS: ${kb} kB gzipped (limit ${limitKb} kB): ${m.files.join(" + ")}`, over: m.bytes > limitKb * 1000 };
}

/** Vite plugin: print the first-load size after every build; fail the build over the limit. */
export function firstLoadBudget(limitKb = FIRST_LOAD_LIMIT_KB, log: (line: string) => void = console.log): Plugin {
  return {
    name: "haishin-first-load-budget",
    apply: "build",
    generateBundle(_options, bundle) {
      const { line, over } = firstLoadReport(measureFirstLoad(bundle as unknown as Record<string, OutputItem>), limitKb);
      if (over) this.error(`${line}: over the limit`);
      log(line);
    },
  };
}
