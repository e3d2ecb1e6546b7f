/**
 * Files the admin hands to the marketer: an API answer that is not JSON (a QR image, a CSV) fetched as a Blob, and
 * saving a Blob or a text under a file name. The one place for both (routes, cross analysis, scenarios, forms).
 */
import { ApiError, type ApiClient, parseApiError } from "./api";

/** GET (or POST a JSON body to) `path` and answer the body as a Blob; API errors as `ApiError`, like JSON calls. */
export async function requestBlob(api: ApiClient, token: string, method: "GET" | "POST", path: string, body?: unknown): Promise<Blob> {
  let res: Response;
  try {
    res = await fetch(api.baseUrl + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (e) {
    throw new ApiError({ status: 0, code: "network_error", message: `${method} ${path}: ${String(e)}` });
  }
  if (!res.ok) throw parseApiError(res.status, await res.text());
  return res.blob();
}

/** Offer `blob` as a file download. */
export function saveBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Offer `text` as a file download. */
export function saveText(filename: string, text: string, type: string): void {
  saveBlob(filename, new Blob([text], { type }));
}
