/** Small helpers shared by the content screens (scenarios, broadcasts, auto-replies, forms, commerce). */
import { ApiError, type ApiClient, parseApiError } from "../../api";
import { saveText } from "../../download";
import { getLang } from "../../i18n";

// Where the API says a field is wrong: moved to lib/problems (shared by every screen); kept here for old imports.
export { problemAt, problemsOf } from "../../lib/problems";

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
export const download = saveText;

/** Date and time to the minute, in the workspace's time zone (Asia/Tokyo). */
const TOKYO_MINUTES: Intl.DateTimeFormatOptions = { timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" };

export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(getLang() === "ja" ? "ja-JP" : "en-US", TOKYO_MINUTES);
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
  const parts = new Intl.DateTimeFormat("sv-SE", TOKYO_MINUTES).format(d);
  return parts.replace(" ", "T");
}
