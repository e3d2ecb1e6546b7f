import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, type FakeApi, freshPageEachTest, typeSaveAndExpectErrorAtField, withApp } from "../../testing/app";
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

const answers = () => ({
  "GET /api/webhooks": { items: [ENDPOINT], event_types: ["friend_added", "blocked"] },
  "GET /api/webhooks/deliveries": { items: [FAILED] },
  "POST /api/webhooks": { ...ENDPOINT, endpoint_id: "whep_new", secret: "whsec_shown_once" },
  "POST /api/webhooks/deliveries/whd_1/replay": { ...FAILED, status: "queued" },
  [`POST /api/webhooks/${ENDPOINT.endpoint_id}/test`]: { ...FAILED, status: "queued" },
  [`DELETE /api/webhooks/${ENDPOINT.endpoint_id}`]: {},
});
const called = (api: FakeApi, call: string) => api.calls.some((c) => c === call || c.startsWith(`${call} `));

describe("outgoing webhooks screen", () => {
  freshPageEachTest();

  it("lists endpoints and deliveries; an owner replays a failed one and sees a new secret once", async () => {
    const api = fakeApi(answers());
    render(withApp(api, <WebhooksScreen />));
    await waitFor(() => expect(screen.getAllByTestId("webhook-endpoint")).toHaveLength(1));
    expect(screen.getAllByText("CRM 連携").length).toBeGreaterThan(0);
    const row = screen.getByTestId("webhook-delivery");
    expect(row.getAttribute("data-status")).toBe("failed");
    expect(row.textContent).toContain("410");
    fireEvent.click(screen.getByTestId("webhook-replay"));
    await waitFor(() => expect(called(api, "POST /api/webhooks/deliveries/whd_1/replay")).toBe(true));
    fireEvent.click(screen.getByTestId("webhook-test"));
    await waitFor(() => expect(called(api, `POST /api/webhooks/${ENDPOINT.endpoint_id}/test`)).toBe(true));
    await screen.findByTestId("webhook-notice");

    fireEvent.input(screen.getByPlaceholderText("https://"), { target: { value: "https://hooks.example.com/new" } });
    fireEvent.click(screen.getByTestId("webhook-create-submit"));
    await waitFor(() => expect(screen.getByTestId("webhook-secret-value").textContent).toBe("whsec_shown_once"));
    fireEvent.click(screen.getByTestId("webhook-secret-close"));
    expect(screen.queryByTestId("webhook-secret")).toBeNull();
  });

  it("deletes an endpoint only after the in-page confirm", async () => {
    const api = fakeApi(answers());
    render(withApp(api, <WebhooksScreen />));
    fireEvent.click(await screen.findByTestId("webhook-delete"));
    expect(called(api, `DELETE /api/webhooks/${ENDPOINT.endpoint_id}`)).toBe(false);
    fireEvent.click(screen.getByTestId("webhook-delete-confirm"));
    await waitFor(() => expect(called(api, `DELETE /api/webhooks/${ENDPOINT.endpoint_id}`)).toBe(true));
  });

  it("shows the API's refusal at the URL field and keeps what was typed", async () => {
    const api = fakeApi({ ...answers(), "POST /api/webhooks": new ApiError({ status: 422, code: "validation_error", message: "https の URL を入力してください。", where: "url" }) });
    render(withApp(api, <WebhooksScreen />));
    const url = (await screen.findByPlaceholderText("https://")) as HTMLInputElement;
    await typeSaveAndExpectErrorAtField(url, "http://x.example.com", "webhook-create-submit", "https の URL を入力してください。");
  });

  it("an admin sees the lists without the owner's buttons", async () => {
    render(withApp(fakeApi(answers()), <WebhooksScreen />, "admin"));
    await waitFor(() => expect(screen.getAllByTestId("webhook-endpoint")).toHaveLength(1));
    expect(screen.queryByTestId("webhook-replay")).toBeNull();
    expect(screen.queryByTestId("webhook-test")).toBeNull();
    expect(screen.queryByTestId("webhook-create")).toBeNull();
  });

  it("the action editor picks an endpoint instead of typing a URL", async () => {
    const onChange = vi.fn();
    render(withApp(fakeApi(answers()), <ActionList name="actions" value={[{ type: "call_webhook", endpoint_id: "" }]} onChange={onChange} />));
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
