/**
 * Rich menus (リッチメニュー): the API's shapes (docs: issue 20 contract, `haishin/richmenus`), LINE's limits, the
 * standard layouts of the LINE Official Account Manager, the image check done in the browser before an upload (the
 * server checks again), and the tab set (menus linked by `tab` actions). Pure functions: tested without a DOM.
 */
import { ApiError } from "../../api";
import { t } from "../../i18n";
import type { Action } from "../scenarios/types";

export interface Size {
  width: number;
  height: number;
}

export interface Bounds extends Size {
  x: number;
  y: number;
}

export type AreaAction =
  | { type: "uri"; uri: string; track: boolean }
  | { type: "message"; text: string }
  | { type: "postback"; actions: Action[]; display_text?: string | null }
  | { type: "tab"; menu_id: string }
  | { type: "liff"; path: string };

export type AreaActionType = AreaAction["type"];
export const AREA_ACTION_TYPES: readonly AreaActionType[] = ["uri", "message", "postback", "tab", "liff"];

export interface Area {
  bounds: Bounds;
  label: string;
  action: AreaAction;
}

export interface ImageMeta {
  content_type: string;
  width: number;
  height: number;
  bytes: number;
}

/** A menu as the API returns it: what was sent (RichMenuInput) and what the API keeps about it. */
export interface RichMenu extends RichMenuInput {
  id: string;
  image: ImageMeta | null;
  line_rich_menu_id: string | null;
  alias_id: string | null;
  status: "draft" | "published";
  updated_at?: string;
}

/** The menu's ID (`id`; `menu_id` tolerated). */
export function menuIdOf(m: Pick<RichMenu, "id"> & { menu_id?: string }): string {
  return m.id ?? m.menu_id ?? "";
}

export interface RichMenuInput {
  name: string;
  channel_id: string;
  size: Size;
  chat_bar_text: string;
  selected: boolean;
  areas: Area[];
}

export interface AreaStats {
  index: number;
  label: string;
  /** the area's action type */
  action?: AreaActionType;
  taps: number;
  unique: number;
  /** false: taps not seen by Haishin (a message area, an untracked URL, a LIFF page) */
  taps_measured?: boolean;
  /** false: no unique friends (tracked URL taps come without the friend) */
  unique_measured?: boolean;
}

export interface MenuStats {
  areas: AreaStats[];
  total: number;
  unique: number;
  line_insight: Record<string, unknown> | null;
  /** why there is no LINE insight (draft, below LINE's threshold, LINE did not answer) */
  line_insight_note?: string | null;
  since?: string;
  until?: string;
}

export type RuleCondition =
  | { type: "tag"; tag_id: string }
  | { type: "segment"; segment_id: string }
  | { type: "scenario_step"; scenario_id: string; step_index: number }
  | { type: "route"; route_id: string };

export type RuleConditionType = RuleCondition["type"];
export const CONDITION_TYPES: readonly RuleConditionType[] = ["tag", "segment", "scenario_step", "route"];

export interface MenuRule {
  id?: string;
  menu_id: string;
  condition: RuleCondition;
}

export interface RelinkJob {
  id: string;
  status: "queued" | "running" | "done" | "failed";
  total: number;
  done: number;
  linked: number;
  unlinked: number;
  calls: number;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
}

export interface RulesBody {
  channel_id: string;
  default_menu_id: string | null;
  rules: MenuRule[];
  job: RelinkJob | null;
}

// ------------------------------------------------------------------------------------------------ LINE's limits
export const LIMITS = {
  areas: 20,
  chatBarChars: 14,
  messageChars: 300,
  minWidth: 800,
  maxWidth: 2500,
  minHeight: 250,
  minRatio: 1.45,
  maxBytes: 1024 * 1024,
} as const;

export type SizeKey = "large" | "compact" | "image";
export const SIZES: Record<Exclude<SizeKey, "image">, Size> = {
  large: { width: 2500, height: 1686 },
  compact: { width: 2500, height: 843 },
};

export function sizeKeyOf(size: Size): SizeKey {
  if (size.width === SIZES.large.width && size.height === SIZES.large.height) return "large";
  if (size.width === SIZES.compact.width && size.height === SIZES.compact.height) return "compact";
  return "image";
}

/** Characters as LINE counts them (code points, so an emoji is one). */
export function charCount(text: string): number {
  return [...text].length;
}

export function chatBarProblem(text: string): string | undefined {
  const n = charCount(text);
  if (n === 0 || !text.trim()) return t("rm.chatBar.empty");
  if (n > LIMITS.chatBarChars) return t("rm.chatBar.tooLong", { n, max: LIMITS.chatBarChars });
  return undefined;
}

// ------------------------------------------------------------------------------------------------ the image check
export interface SniffedImage {
  content_type: "image/png" | "image/jpeg";
  width: number;
  height: number;
}

/** The type and pixel size read from the file's own bytes (PNG IHDR, JPEG SOFn); null when it is neither. */
export function sniffImage(b: Uint8Array): SniffedImage | null {
  if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return { content_type: "image/png", width: dv.getUint32(16), height: dv.getUint32(20) };
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) {
        i++;
        continue;
      }
      const marker = b[i + 1]!;
      if (marker === 0xff) {
        i++;
        continue;
      }
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        i += 2;
        continue;
      }
      const len = (b[i + 2]! << 8) | b[i + 3]!;
      // SOF0..SOF15 except DHT (c4), JPG (c8), DAC (cc)
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        const height = (b[i + 5]! << 8) | b[i + 6]!;
        const width = (b[i + 7]! << 8) | b[i + 8]!;
        return { content_type: "image/jpeg", width, height };
      }
      i += 2 + len;
    }
    return { content_type: "image/jpeg", width: 0, height: 0 };
  }
  return null;
}

/**
 * Every reason LINE would refuse this image as the menu's image (Japanese, in the order a marketer fixes them):
 * not JPEG/PNG, width out of 800-2500, height under 250, width/height under 1.45, over 1 MB, or not the menu's size.
 * `size` null: the menu takes the image's own size.
 */
export function imageProblems(image: SniffedImage | null, bytes: number, size: Size | null): string[] {
  if (!image) return [t("rm.image.type")];
  const out: string[] = [];
  const { width: w, height: h } = image;
  if (w < LIMITS.minWidth || w > LIMITS.maxWidth) out.push(t("rm.image.width", { w, min: LIMITS.minWidth, max: LIMITS.maxWidth }));
  if (h < LIMITS.minHeight) out.push(t("rm.image.height", { h, min: LIMITS.minHeight }));
  if (h > 0 && w / h < LIMITS.minRatio) out.push(t("rm.image.ratio", { ratio: (w / h).toFixed(2), min: LIMITS.minRatio }));
  if (bytes > LIMITS.maxBytes) out.push(t("rm.image.bytes", { kb: Math.ceil(bytes / 1024), max: 1024 }));
  if (size && (size.width !== w || size.height !== h)) out.push(t("rm.image.size", { w, h, sw: size.width, sh: size.height }));
  return out;
}

// ------------------------------------------------------------------------------------------------ layouts
/** A layout: areas as fractions [x, y, width, height] of the menu. */
export interface Layout {
  id: string;
  size: "large" | "compact";
  cells: readonly (readonly [number, number, number, number])[];
}

const T = 1 / 3;
/** The LINE Official Account Manager's templates: large 6/4/4/3/3/2/2/1 areas, compact 3/2/2/1. */
export const LAYOUTS: readonly Layout[] = [
  { id: "large6", size: "large", cells: [[0, 0, T, 0.5], [T, 0, T, 0.5], [2 * T, 0, T, 0.5], [0, 0.5, T, 0.5], [T, 0.5, T, 0.5], [2 * T, 0.5, T, 0.5]] },
  { id: "large4", size: "large", cells: [[0, 0, 0.5, 0.5], [0.5, 0, 0.5, 0.5], [0, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5]] },
  { id: "large4wide", size: "large", cells: [[0, 0, 1, 0.5], [0, 0.5, T, 0.5], [T, 0.5, T, 0.5], [2 * T, 0.5, T, 0.5]] },
  { id: "large3left", size: "large", cells: [[0, 0, 2 * T, 1], [2 * T, 0, T, 0.5], [2 * T, 0.5, T, 0.5]] },
  { id: "large3top", size: "large", cells: [[0, 0, 1, 0.5], [0, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5]] },
  { id: "large2cols", size: "large", cells: [[0, 0, 0.5, 1], [0.5, 0, 0.5, 1]] },
  { id: "large2rows", size: "large", cells: [[0, 0, 1, 0.5], [0, 0.5, 1, 0.5]] },
  { id: "large1", size: "large", cells: [[0, 0, 1, 1]] },
  { id: "compact3", size: "compact", cells: [[0, 0, T, 1], [T, 0, T, 1], [2 * T, 0, T, 1]] },
  { id: "compact2", size: "compact", cells: [[0, 0, 0.5, 1], [0.5, 0, 0.5, 1]] },
  { id: "compact2wide", size: "compact", cells: [[0, 0, 2 * T, 1], [2 * T, 0, T, 1]] },
  { id: "compact1", size: "compact", cells: [[0, 0, 1, 1]] },
];

/** The layout's areas on a menu of `size` (edges shared by neighbours stay shared after rounding). */
export function layoutBounds(layout: Layout, size: Size): Bounds[] {
  const X = (f: number) => Math.round(f * size.width);
  const Y = (f: number) => Math.round(f * size.height);
  return layout.cells.map(([x, y, w, h]) => ({ x: X(x), y: Y(y), width: X(x + w) - X(x), height: Y(y + h) - Y(y) }));
}

/** Apply a layout: keep the existing areas' labels and actions in order, new areas get an empty message action. */
export function applyLayout(layout: Layout, size: Size, current: readonly Area[]): Area[] {
  return layoutBounds(layout, size).map((bounds, i) => {
    const prev = current[i];
    return prev ? { ...prev, bounds } : { bounds, label: areaName(i), action: { type: "message", text: "" } };
  });
}

export function areaName(i: number): string {
  return t("rm.area.n", { n: i + 1 });
}

export function defaultAction(type: AreaActionType): AreaAction {
  if (type === "uri") return { type, uri: "https://", track: true };
  if (type === "message") return { type, text: "" };
  if (type === "postback") return { type, actions: [], display_text: null };
  if (type === "tab") return { type, menu_id: "" };
  return { type, path: "/me" };
}

/** Keep `b` inside the menu, at least 1 px. */
export function clampBounds(b: Bounds, size: Size): Bounds {
  const width = Math.max(1, Math.min(Math.round(b.width), size.width));
  const height = Math.max(1, Math.min(Math.round(b.height), size.height));
  const x = Math.max(0, Math.min(Math.round(b.x), size.width - width));
  const y = Math.max(0, Math.min(Math.round(b.y), size.height - height));
  return { x, y, width, height };
}

// ------------------------------------------------------------------------------------------------ checks before save
export interface Problem {
  where: string;
  message: string;
}

/** What the browser can say before the save (the server checks everything again). */
export function menuProblems(v: RichMenuInput): Problem[] {
  const out: Problem[] = [];
  if (!v.name.trim()) out.push({ where: "name", message: t("rm.name.empty") });
  const bar = chatBarProblem(v.chat_bar_text);
  if (bar) out.push({ where: "chat_bar_text", message: bar });
  if (v.areas.length === 0) out.push({ where: "areas", message: t("rm.area.none") });
  if (v.areas.length > LIMITS.areas) out.push({ where: "areas", message: t("rm.area.limit", { max: LIMITS.areas }) });
  v.areas.forEach((a, i) => {
    const b = a.bounds;
    if (b.x < 0 || b.y < 0 || b.width < 1 || b.height < 1 || b.x + b.width > v.size.width || b.y + b.height > v.size.height) {
      out.push({ where: `areas[${i}].bounds`, message: t("rm.area.outside", { n: i + 1 }) });
    }
    const act = a.action;
    if (act.type === "uri" && !/^https?:\/\/\S+\.\S+/.test(act.uri)) out.push({ where: `areas[${i}].action.uri`, message: t("rm.action.uri.bad", { n: i + 1 }) });
    if (act.type === "message" && !act.text.trim()) out.push({ where: `areas[${i}].action.text`, message: t("rm.action.text.empty", { n: i + 1 }) });
    if (act.type === "message" && charCount(act.text) > LIMITS.messageChars) out.push({ where: `areas[${i}].action.text`, message: t("rm.action.text.long", { n: i + 1, max: LIMITS.messageChars }) });
    if (act.type === "tab" && !act.menu_id) out.push({ where: `areas[${i}].action.menu_id`, message: t("rm.action.tab.empty", { n: i + 1 }) });
  });
  return out;
}

/** A refusal found in the browser, shown like the API's (at the fields it names). */
export function localError(problems: Problem[]): ApiError {
  return new ApiError({ status: 422, code: "validation_failed", message: problems[0]!.message, where: problems[0]!.where, details: problems });
}

// ------------------------------------------------------------------------------------------------ tabs
/** The menus a menu's areas switch to (tab actions), in area order, without repeats. */
export function tabTargets(areas: readonly Area[]): string[] {
  const out: string[] = [];
  for (const a of areas) if (a.action.type === "tab" && a.action.menu_id && !out.includes(a.action.menu_id)) out.push(a.action.menu_id);
  return out;
}

/**
 * The tab set of menu `id`: every menu reachable through tab actions either way, `id` first then the others in
 * the list's order. `areasOf(id)` overrides the stored areas of the menu being edited.
 */
export function tabSet(id: string, menus: readonly RichMenu[], current?: readonly Area[]): string[] {
  const edges = new Map<string, Set<string>>();
  const link = (a: string, b: string) => {
    if (a === b) return;
    if (!edges.has(a)) edges.set(a, new Set());
    if (!edges.has(b)) edges.set(b, new Set());
    edges.get(a)!.add(b);
    edges.get(b)!.add(a);
  };
  for (const m of menus) {
    const mid = menuIdOf(m);
    const areas = mid === id && current ? current : m.areas;
    for (const target of tabTargets(areas)) link(mid, target);
  }
  if (current && !menus.some((m) => menuIdOf(m) === id)) for (const target of tabTargets(current)) link(id, target);
  const seen = new Set([id]);
  const queue = [id];
  while (queue.length) for (const n of edges.get(queue.shift()!) ?? []) if (!seen.has(n)) (seen.add(n), queue.push(n));
  const order = menus.map(menuIdOf);
  return [id, ...[...seen].filter((x) => x !== id).sort((a, b) => order.indexOf(a) - order.indexOf(b))];
}
