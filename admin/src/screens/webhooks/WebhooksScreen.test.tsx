import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ApiClient } from "../../api";
import { AppContext, type AppContextValue } from "../../context";
import { initLang } from "../../i18n";
import { ActionList } from "../scenarios/ActionList";
import { canReplay, endpointLabel, type Delivery, type Endpoint } from "./types";
import WebhooksScreen from "./WebhooksScreen";

const ENDPOINT: Endpoint = {
  endpoint_id: "whep_01JAAAAAAAAAAAAAAAAAAAAAAA", url: "https://hooks.example.com/crm", description: "CRM 連携", enabled: true,
  events: ["friend_added"], secret_hint: "…abcd", created_at: "2026-01-05T00:00:00+00:00", updated_at: "2026-01-05T00:00:00+00:00",
};
const FAILED: Delivery = {
  delivery_id: "whd_1", endpoint_id: ENDPOINT.endpoint_id, event_id: "evt_1", event_type: "friend_added", status: "failed", attempts: 1,
  last_status_code: 410, last_error: null, last_duration_ms: 12, attempt_log: [], next_attempt_at: null, created_at: "2026-01-05T00:00:00+00:00",
};

function fakeApi(): ApiClient & { calls: string[] } {
  const calls: string[] = [];
  const answer = (method: string, path: string): unknown => {
    calls.push(`${method} ${path}`);
    if (path === "/api/webhooks" && method === "GET") return { items: [ENDPOINT], event_types: ["friend_added", "blocked"] };
    if (path.startsWith("/api/webhooks/deliveries") && method === "GET") return { items: [FAILED] };
    if (path === "/api/webhooks" && method === "POST") return { ...ENDPOINT, endpoint_id: "whep_new", secret: "whsec_shown_once" };
    return { ...FAILED, status: "queued" };
  };
  const api = {
    calls,
    baseUrl: "",
    request: vi.fn(async (m: string, p: string) => answer(m, p)),
    get: vi.fn(async (p: string) => answer("GET", p)),
    post: vi.fn(async (p: string) => answer("POST", p)),
    put: vi.fn(async (p: string) => answer("PUT", p)),
    patch: vi.fn(async (p: string) => answer("PATCH", p)),
    delete: vi.fn(async (p: string) => answer("DELETE", p)),
  };
  return api as unknown as ApiClient & { calls: string[] };
}

function withApp(api: ApiClient, role: "owner" | "admin", node: preact.ComponentChildren) {
  const value = { api, session: { role }, config: {}, logout: () => undefined } as unknown as AppContextValue;
  return <AppContext.Provider value={value}>{node}</AppContext.Provider>;
}

describe("outgoing webhooks screen", () => {
  beforeEach(() => {
    localStorage.clear();
    initLang();
  });
  afterEach(cleanup);

  it("lists endpoints and deliveries; an owner replays a failed one and sees a new secret once", async () => {
    const api = fakeApi();
    render(withApp(api, "owner", <WebhooksScreen />));
    await waitFor(() => expect(screen.getAllByTestId("webhook-endpoint")).toHaveLength(1));
    expect(screen.getAllByText("CRM 連携").length).toBeGreaterThan(0);
    const row = screen.getByTestId("webhook-delivery");
    expect(row.getAttribute("data-status")).toBe("failed");
    expect(row.textContent).toContain("410");
    fireEvent.click(screen.getByTestId("webhook-replay"));
    await waitFor(() => expect(api.calls).toContain("POST /api/webhooks/deliveries/whd_1/replay"));
    fireEvent.click(screen.getByTestId("webhook-test"));
    await waitFor(() => expect(api.calls).toContain(`POST /api/webhooks/${ENDPOINT.endpoint_id}/test`));

    fireEvent.input(screen.getByPlaceholderText("https://"), { target: { value: "https://hooks.example.com/new" } });
    fireEvent.click(screen.getByTestId("webhook-create-submit"));
    await waitFor(() => expect(screen.getByTestId("webhook-secret-value").textContent).toBe("whsec_shown_once"));
    fireEvent.click(screen.getByTestId("webhook-secret-close"));
    expect(screen.queryByTestId("webhook-secret")).toBeNull();
  });

  it("an admin sees the lists without the owner's buttons", async () => {
    render(withApp(fakeApi(), "admin", <WebhooksScreen />));
    await waitFor(() => expect(screen.getAllByTestId("webhook-endpoint")).toHaveLength(1));
    expect(screen.queryByTestId("webhook-replay")).toBeNull();
    expect(screen.queryByTestId("webhook-test")).toBeNull();
    expect(screen.queryByTestId("webhook-create")).toBeNull();
  });

  it("the action editor picks an endpoint instead of typing a URL", async () => {
    const onChange = vi.fn();
    render(withApp(fakeApi(), "owner", <ActionList name="actions" value={[{ type: "call_webhook", endpoint_id: "" }]} onChange={onChange} />));
    const picker = (await screen.findByTestId("endpoint-picker")) as HTMLSelectElement;
    await waitFor(() => expect(picker.querySelectorAll("option")).toHaveLength(2));
    fireEvent.change(picker, { target: { value: ENDPOINT.endpoint_id } });
    expect(onChange).toHaveBeenCalledWith([{ type: "call_webhook", endpoint_id: ENDPOINT.endpoint_id }]);
  });

  it("names endpoints by note, else host and path; replays what was not settled for good", () => {
    expect(endpointLabel({ description: " ", url: "https://a.example.com/in" })).toBe("a.example.com/in");
    expect(endpointLabel({ description: "CRM", url: "https://a.example.com/" })).toBe("CRM");
    expect(canReplay({ status: "failed" })).toBe(true);
    expect(canReplay({ status: "queued" })).toBe(false);
  });
});
