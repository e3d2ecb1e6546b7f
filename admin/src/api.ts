/**
 * The one way the admin talks to the admin API.
 *
 * - adds `Authorization: Bearer <token>`
 * - turns the API's error body `{"code", "message", "where"}` (haishin.errors.HaishinError.to_dict)
 *   into an ApiError that the calling screen shows in place with <ErrorNotice>
 * - on 401 calls `onUnauthorized` (the app goes to the login screen, keeping form drafts), then throws
 * - network failures become ApiError code "network_error" (status 0)
 */

export class ApiError extends Error {
  override name = "ApiError";
  readonly status: number;
  readonly code: string;
  readonly where: string | undefined;
  readonly details: unknown;

  constructor(init: { status: number; code: string; message: string; where?: string | undefined; details?: unknown }) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.where = init.where;
    this.details = init.details;
  }
}

function fallbackCode(status: number): string {
  if (status === 401) return "unauthenticated";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 422 || status === 400) return "validation_failed";
  if (status >= 500) return "server_error";
  return "error";
}

/** Build an ApiError from a non-2xx status and its (possibly empty or non-JSON) body text. */
export function parseApiError(status: number, bodyText: string): ApiError {
  let body: unknown = undefined;
  if (bodyText) {
    try {
      body = JSON.parse(bodyText);
    } catch {
      body = undefined;
    }
  }
  if (typeof body === "object" && body !== null) {
    const o = body as Record<string, unknown>;
    // Some gateways wrap the error: {"error": {...}}; API Gateway itself says {"message": "Unauthorized"}.
    const inner = typeof o.error === "object" && o.error !== null ? (o.error as Record<string, unknown>) : o;
    const message = typeof inner.message === "string" && inner.message ? inner.message : `HTTP ${status}`;
    return new ApiError({
      status,
      code: typeof inner.code === "string" && inner.code ? inner.code : fallbackCode(status),
      message,
      where: typeof inner.where === "string" ? inner.where : undefined,
      details: inner.details,
    });
  }
  const text = bodyText.trim().slice(0, 300);
  return new ApiError({ status, code: fallbackCode(status), message: text || `HTTP ${status}` });
}

export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof Error) return new ApiError({ status: 0, code: "error", message: e.message });
  return new ApiError({ status: 0, code: "error", message: String(e) });
}

export interface ApiClientOptions {
  baseUrl: string;
  getToken: () => string | null;
  onUnauthorized?: (err: ApiError) => void;
  fetchImpl?: typeof fetch;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export interface ApiClient {
  request<T>(method: string, path: string, opts?: RequestOptions): Promise<T>;
  get<T>(path: string, opts?: RequestOptions): Promise<T>;
  post<T>(path: string, body?: unknown, opts?: RequestOptions): Promise<T>;
  put<T>(path: string, body?: unknown, opts?: RequestOptions): Promise<T>;
  patch<T>(path: string, body?: unknown, opts?: RequestOptions): Promise<T>;
  delete<T>(path: string, opts?: RequestOptions): Promise<T>;
  readonly baseUrl: string;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const base = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetchImpl ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    let url = base + (path.startsWith("/") ? path : `/${path}`);
    if (opts.query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(opts.query)) if (v !== undefined) qs.set(k, String(v));
      const s = qs.toString();
      if (s) url += (url.includes("?") ? "&" : "?") + s;
    }
    const headers: Record<string, string> = { Accept: "application/json", ...opts.headers };
    const token = options.getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    const init: RequestInit = { method, headers };
    if (opts.signal) init.signal = opts.signal;
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }

    let res: Response;
    try {
      res = await doFetch(url, init);
    } catch (e) {
      if (e instanceof DOMException && e.name === "AbortError") throw e;
      throw new ApiError({ status: 0, code: "network_error", message: `${method} ${path}: ${String(e)}` });
    }
    const text = await res.text();
    if (!res.ok) {
      const err = parseApiError(res.status, text);
      if (res.status === 401) options.onUnauthorized?.(err);
      throw err;
    }
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError({ status: res.status, code: "server_error", message: `${method} ${path}: the answer is not JSON` });
    }
  }

  return {
    baseUrl: base,
    request,
    get: (p, o) => request("GET", p, o),
    post: (p, b, o) => request("POST", p, { ...o, body: b }),
    put: (p, b, o) => request("PUT", p, { ...o, body: b }),
    patch: (p, b, o) => request("PATCH", p, { ...o, body: b }),
    delete: (p, o) => request("DELETE", p, o),
  };
}
