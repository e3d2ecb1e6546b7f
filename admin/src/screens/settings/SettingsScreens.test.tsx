import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { AppContext, type AppContextValue } from "../../context";
import { fakeApi, freshPageEachTest, typeSaveAndExpectErrorAtField, withApp } from "../../testing/app";
import OperatorsScreen, { type Operator } from "./OperatorsScreen";
import SendersScreen, { type SenderIdentity } from "./SendersScreen";
import StripeKeysScreen from "./StripeKeysScreen";

const OP: Operator = {
  email: "staff@example.com", display_name: "田中", role: "operator", granted: [], denied: [], channel_id: null,
  status: "active", invited_at: "2026-01-05T00:00:00+00:00", invited_by: null,
};
const SENDER: SenderIdentity = {
  identity_id: "sid_1", from_name: "ハイシン", from_address: "news@mail.example.jp", reply_to: null, kind: "domain",
  ses_identity: "mail.example.jp", verified: false, status: "Pending", status_label: "認証待ち", default: true,
  dns_records: [{ type: "CNAME", name: "a._domainkey.mail.example.jp", value: "a.dkim.amazonses.com", purpose: "DKIM", required: "yes", note: "" }],
};

describe("settings screens on the shared parts", () => {
  freshPageEachTest();

  it("operators: an existing address is refused at the e-mail field, in Japanese; remove asks first", async () => {
    const api = fakeApi({
      "GET /api/operators": { items: [OP] },
      "GET /api/channels": { channels: [] },
      "POST /api/operators": new ApiError({ status: 409, code: "conflict", message: "exists", where: "email" }),
      "DELETE /api/operators/staff@example.com": {},
    });
    const owner = { api, session: { role: "owner", email: "owner@example.com", token: "t" }, config: {}, logout: () => undefined } as unknown as AppContextValue;
    render(<AppContext.Provider value={owner}><OperatorsScreen /></AppContext.Provider>);
    await screen.findByTestId("operator-row");
    const email = screen.getByTestId("operator-invite").querySelector("input[name=email]") as HTMLInputElement;
    await typeSaveAndExpectErrorAtField(email, OP.email, "operator-invite-submit", "このメールアドレスのオペレーターはすでに登録されています。");
    fireEvent.click(screen.getByTestId("operator-remove"));
    expect(api.calls.some((c) => c.startsWith("DELETE"))).toBe(false);
    fireEvent.click(screen.getByTestId("operator-remove-confirm"));
    await waitFor(() => expect(screen.queryByTestId("operator-row")).toBeNull());
    expect(screen.getByTestId("operators-notice").textContent).toContain(OP.email);
  });

  it("senders: one pending sender is checked afresh (GET /api/senders/{id}?refresh=1) and shows its new state", async () => {
    const api = fakeApi({
      "GET /api/senders": { items: [SENDER] },
      "GET /api/workspace": { name: "WS", legal_name: null, postal_address: null, sms_sender_id: null, sms_optout_text: null },
      "GET /api/senders/sid_1": { ...SENDER, verified: true, status: "Success", status_label: "認証済み" },
    });
    render(withApp(api, <SendersScreen />));
    expect((await screen.findByTestId("sender-status")).textContent).toBe("認証待ち");
    expect(screen.getByTestId("sender-dns").textContent).toContain("a.dkim.amazonses.com");
    fireEvent.click(screen.getByTestId("sender-check-sid_1"));
    await waitFor(() => expect(screen.getByTestId("sender-status").textContent).toBe("認証済み"));
    expect(api.calls).toContain("GET /api/senders/sid_1?refresh=1");
  });

  it("stripe: a live switch refused is shown at the mode; a bad key at the key field", async () => {
    const api = fakeApi({
      "GET /api/payments/stripe": { stripe_mode: "test", keys: {} },
      "PUT /api/payments/stripe/mode": new ApiError({ status: 422, code: "validation_error", message: "本番キーを先に登録してください。", where: "stripe_mode" }),
      "PUT /api/payments/stripe/keys": new ApiError({ status: 422, code: "validation_error", message: "sk_test_ で始まるキーです。", where: "secret_key" }),
    });
    render(withApp(api, <StripeKeysScreen />));
    fireEvent.click(await screen.findByTestId("stripe-mode-live"));
    await waitFor(() => expect(document.querySelector("[data-field-error=stripe_mode]")?.textContent).toBe("本番キーを先に登録してください。"));
    const key = screen.getByTestId("stripe-keys-form-test").querySelector("input[name=secret_key]") as HTMLInputElement;
    expect(key.type).toBe("password");
    await typeSaveAndExpectErrorAtField(key, "sk_live_x", "stripe-save-test", "sk_test_ で始まるキーです。");
  });

  it("stripe: shows the workspace's endpoint URL and the events to send it, to copy into Stripe", async () => {
    const url = "https://api.example.jp/prod/stripe/webhook/ws_1";
    const api = fakeApi({
      "GET /api/payments/stripe": { stripe_mode: "test", keys: {}, webhook_url: url,
                                    webhook_events: ["charge.refunded", "invoice.paid"] },
    });
    render(withApp(api, <StripeKeysScreen />));
    expect((await screen.findByTestId("stripe-webhook-url")).textContent).toBe(url);
    expect(screen.getByTestId("stripe-webhook-events").textContent).toBe("charge.refunded, invoice.paid");
    expect(screen.getByTestId("stripe-endpoint").textContent).toContain("Stripe に登録する Webhook");
    expect(screen.getByTestId("copy-stripe-webhook")).toBeTruthy();
  });
});
