import { describe, expect, it, vi } from "vitest";
import { ApiError, createApiClient, parseApiError } from "./api";

function jsonResponse(status: number, body: unknown): Response {
  return new Response(typeof body === "string" ? body : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

describe("parseApiError", () => {
  it("reads the admin API error body", () => {
    const e = parseApiError(422, JSON.stringify({ code: "validation_failed", message: "名前は必須です", where: "name" }));
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(422);
    expect(e.code).toBe("validation_failed");
    expect(e.message).toBe("名前は必須です");
    expect(e.where).toBe("name");
  });

  it("derives a code from the status when the body is not ours", () => {
    expect(parseApiError(401, JSON.stringify({ message: "Unauthorized" })).code).toBe("unauthenticated");
    const html = parseApiError(502, "<html>Bad Gateway</html>");
    expect(html.code).toBe("server_error");
    expect(html.message).toContain("Bad Gateway");
    expect(parseApiError(500, "").message).toBe("HTTP 500");
  });
});

describe("createApiClient", () => {
  it("sends the bearer token and JSON body, and parses the JSON answer", async () => {
    const fetchImpl = vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) => jsonResponse(200, { id: "sub_1" }));
    const api = createApiClient({ baseUrl: "http://api.test/", getToken: () => "tok123", fetchImpl });
    const out = await api.post<{ id: string }>("/api/subscribers", { name: "花子" });
    expect(out).toEqual({ id: "sub_1" });
    const [url, init] = fetchImpl.mock.calls[0]!;
    expect(url).toBe("http://api.test/api/subscribers");
    const headers = init!.headers as Record<string, string>;
    expect(headers.Authorization).toBe("Bearer tok123");
    expect(headers["Content-Type"]).toBe("application/json");
    expect(JSON.parse(init!.body as string)).toEqual({ name: "花子" });
  });

  it("throws ApiError with the server's message and where", async () => {
    const fetchImpl = vi.fn(async () => jsonResponse(409, { code: "conflict", message: "already exists", where: "tag.name" }));
    const api = createApiClient({ baseUrl: "http://api.test", getToken: () => null, fetchImpl });
    await expect(api.get("/api/tags")).rejects.toMatchObject({ code: "conflict", where: "tag.name", status: 409 });
  });

  it("calls onUnauthorized on 401 and still rejects so the caller keeps its state", async () => {
    const onUnauthorized = vi.fn();
    const fetchImpl = vi.fn(async () => jsonResponse(401, { code: "unauthenticated", message: "token expired" }));
    const api = createApiClient({ baseUrl: "http://api.test", getToken: () => "old", fetchImpl, onUnauthorized });
    await expect(api.get("/api/me")).rejects.toBeInstanceOf(ApiError);
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it("turns a network failure into network_error", async () => {
    const fetchImpl = vi.fn(async () => {
      throw new TypeError("Failed to fetch");
    });
    const api = createApiClient({ baseUrl: "http://api.test", getToken: () => null, fetchImpl });
    await expect(api.get("/api/me")).rejects.toMatchObject({ code: "network_error", status: 0 });
  });
});
