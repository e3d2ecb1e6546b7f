/** Small helpers shared by the content screens (scenarios, broadcasts, auto-replies, forms, commerce). */
import { ApiError, type ApiClient, parseApiError, toApiError } from "../../api";
import { getLang } from "../../i18n";

/** A request whose body or answer is not JSON (scenario YAML import/export, CSV downloads). */
export async function rawRequest(
  api: ApiClient,
  token: string,
  method: string,
  path: string,
  body?: string,
  contentType = "text/plain; charset=utf-8",
): Promise<{ text: string; type: string }> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = contentType;
  let res: Response;
  try {
    res = await fetch(api.baseUrl + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  } catch (e) {
    throw new ApiError({ status: 0, code: "network_error", message: `${method} ${path}: ${String(e)}` });
  }
  const text = await res.text();
  if (!res.ok) throw parseApiError(res.status, text);
  return { text, type: res.headers.get("content-type") ?? "" };
}

/** Offer `text` as a file download. */
export function download(filename: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Every problem an API error names: `where` -> message (from `details` when the API lists them all). */
export function problemsOf(error: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!error) return out;
  const err = toApiError(error);
  if (Array.isArray(err.details)) {
    for (const d of err.details) {
      if (d && typeof d === "object" && typeof (d as { where?: unknown }).where === "string") {
        const p = d as { where: string; message?: unknown };
        if (!out.has(p.where)) out.set(p.where, String(p.message ?? err.message).replace(/^Value error, /, ""));
      }
    }
  }
  if (err.where !== undefined && !out.has(err.where)) out.set(err.where, err.message.replace(/^Value error, /, ""));
  return out;
}

/** The first problem at `where` exactly, or (with prefix) at or under it. */
export function problemAt(problems: Map<string, string>, where: string, prefix = false): string | undefined {
  const exact = problems.get(where);
  if (exact || !prefix) return exact;
  for (const [w, m] of problems) if (w.startsWith(`${where}.`) || w.startsWith(`${where}[`)) return m;
  return undefined;
}

export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(getLang() === "ja" ? "ja-JP" : "en-US", {
    timeZone: "Asia/Tokyo",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
}

export function fmtNumber(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : n.toLocaleString("ja-JP");
}

export function fmtYen(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : `¥${n.toLocaleString("ja-JP")}`;
}

/** Local (Asia/Tokyo by default) "YYYY-MM-DDTHH:MM" for <input type=datetime-local>, `minutes` from now. */
export function localInputValue(minutesFromNow = 0): string {
  const d = new Date(Date.now() + minutesFromNow * 60_000);
  const parts = new Intl.DateTimeFormat("sv-SE", {
    timeZone: "Asia/Tokyo",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).format(d);
  return parts.replace(" ", "T");
}
