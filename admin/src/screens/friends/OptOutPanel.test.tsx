import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApiClient } from "../../api";
import { AppContext } from "../../context";
import { initLang } from "../../i18n";
import { OptOutPanel } from "./OptOutPanel";

const STATE = {
  all: false, line: true, email: false, sms: false,
  changes: { line: { stopped: true, at: "2026-01-05T00:00:00.000000+00:00", via: "keyword" } },
};

function setup(role: "owner" | "viewer" = "owner") {
  const calls: { method: string; url: string; body: unknown }[] = [];
  const fetchImpl = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ method: init?.method ?? "GET", url: String(url), body });
    const answer = body ? { ...STATE, line: body.stopped, changes: { line: { stopped: body.stopped, at: "2026-01-06T00:00:00+00:00", via: "admin" } } } : STATE;
    return new Response(JSON.stringify(answer), { status: 200 });
  });
  const api = createApiClient({ baseUrl: "http://api", getToken: () => "tok", fetchImpl: fetchImpl as typeof fetch });
  render(
    <AppContext.Provider value={{ api, config: { apiBase: "http://api", authMode: "dev" }, session: { token: "tok", email: "a@example.jp", workspaceId: "ws", role }, logout: () => undefined }}>
      <OptOutPanel id="sub_1" canEdit={role !== "viewer"} />
    </AppContext.Provider>,
  );
  return calls;
}

describe("OptOutPanel", () => {
  beforeEach(() => {
    localStorage.clear();
    initLang();
  });
  afterEach(cleanup);

  it("shows each channel's state with when and how it changed, and changes it with the API", async () => {
    const calls = setup();
    await waitFor(() => expect(screen.getByTestId("opt-out-line").dataset.stopped).toBe("true"));
    expect(screen.getByTestId("opt-out-line").textContent).toContain("停止中");
    expect(screen.getByTestId("opt-out-line").textContent).toContain("LINE キーワード");
    expect(screen.getByTestId("opt-out-email").textContent).toContain("変更なし");
    fireEvent.click(screen.getByTestId("opt-out-toggle-line"));
    await waitFor(() => expect(screen.getByTestId("opt-out-line").dataset.stopped).toBe("false"));
    const put = calls.find((c) => c.method === "PUT");
    expect(put?.url).toContain("/api/subscribers/sub_1/opt-out");
    expect(put?.body).toEqual({ channel: "line", stopped: false });
    expect(screen.getByTestId("opt-out-line").textContent).toContain("管理画面");
  });

  it("offers no buttons to a viewer", async () => {
    setup("viewer");
    await waitFor(() => expect(screen.getByTestId("opt-out-line")).toBeTruthy());
    expect(screen.queryByTestId("opt-out-toggle-line")).toBeNull();
  });
});
