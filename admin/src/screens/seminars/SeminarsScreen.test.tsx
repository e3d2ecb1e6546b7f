import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import SeminarsScreen, { wallClock } from "./SeminarsScreen";

const SESSION = {
  session_id: "ses_1", event_id: "sem_1", starts_at: "2026-01-10T19:00:00+09:00", ends_at: "2026-01-10T21:00:00+09:00",
  deadline: "2026-01-10T12:00:00+09:00", venue: "渋谷会議室", online_url: "", capacity: 10, taken: 9, waiting: 2, seats_left: 1,
};
const SEMINAR = {
  event_id: "sem_1", title: "集客セミナー", description: "", price: { kind: "free", product_id: null }, attended_tag: "", no_show_tag: "",
  created_at: "2026-01-01T00:00:00+00:00", updated_at: "2026-01-01T00:00:00+00:00", sessions: [SESSION],
};
const REG = {
  registration_id: "reg_1", event_id: "sem_1", session_id: "ses_1", subscriber_id: "s_1", display_name: "花子", status: "confirmed",
  attendance: "", source: "staff", created_at: "2026-01-02T00:00:00+00:00", checked_in_at: null,
};

describe("seminars", () => {
  freshPageEachTest();

  it("shows the wall clock of the workspace", () => {
    expect(wallClock("2026-01-10T19:00:00+09:00")).toBe("2026/01/10 19:00");
  });

  it("lists seminars and creates one", async () => {
    location.hash = "#/seminars/new";
    const api = fakeApi({ "POST /api/seminars": SEMINAR });
    render(withApp(api, <SeminarsScreen />));
    fireEvent.input(screen.getByLabelText("セミナー名"), { target: { value: "集客セミナー" } });
    fireEvent.click(screen.getByTestId("seminar-save"));
    await waitFor(() => expect(location.hash).toBe("#/seminars/sem_1"));
    expect(api.calls[0]).toContain('"title":"集客セミナー"');
  });

  it("the detail shows seats left, ticks attendance and adds a session", async () => {
    location.hash = "#/seminars/sem_1";
    const api = fakeApi({
      "GET /api/seminars/sem_1": SEMINAR,
      "GET /api/seminars/sem_1/registrations": { items: [REG] },
      "PUT /api/seminars/sem_1/registrations/reg_1/attendance": { ...REG, attendance: "attended" },
      "POST /api/seminars/sem_1/sessions": SESSION,
    });
    render(withApp(api, <SeminarsScreen />));
    expect((await screen.findByTestId("session-seats")).textContent).toBe("残り 1 席 / 定員 10 · キャンセル待ち 2 人");
    fireEvent.click(await screen.findByTestId("roster-attended"));
    await waitFor(() => expect(api.calls).toContain(`PUT /api/seminars/sem_1/registrations/reg_1/attendance ${JSON.stringify({ attendance: "attended" })}`));
    fireEvent.click(screen.getByTestId("session-add-open"));
    fireEvent.input(screen.getAllByLabelText("開始日時").at(-1)!, { target: { value: "2026-02-01T10:00" } });
    fireEvent.input(screen.getAllByLabelText("終了日時").at(-1)!, { target: { value: "2026-02-01T12:00" } });
    fireEvent.input(screen.getAllByLabelText("会場").at(-1)!, { target: { value: "本社" } });
    fireEvent.click(screen.getByTestId("session-save"));
    await waitFor(() => expect(api.calls.some((c) => c.startsWith("POST /api/seminars/sem_1/sessions"))).toBe(true));
  });

  it("check-in shows the friend's name, and a forged code's Japanese error", async () => {
    location.hash = "#/seminars/check-in";
    let n = 0;
    const api = fakeApi({
      "POST /api/seminars/check-in": () =>
        n++ === 0 ? { ...REG, attendance: "attended" } : new ApiError({ status: 422, code: "validation_failed", message: "受付コードが正しくありません", where: "code" }),
    });
    render(withApp(api, <SeminarsScreen />));
    fireEvent.input(screen.getByTestId("checkin-code"), { target: { value: "SEM1:sem_1:reg_1:tok" } });
    fireEvent.click(screen.getByTestId("checkin-run"));
    expect((await screen.findByTestId("checkin-ok")).textContent).toBe("花子 さんを受付しました");
    fireEvent.input(screen.getByTestId("checkin-code"), { target: { value: "SEM1:x" } });
    fireEvent.click(screen.getByTestId("checkin-run"));
    expect(await screen.findByText(/受付コードが正しくありません/)).toBeTruthy();
  });
  it("a paid seminar's hold minutes are edited, and the roster labels a held seat and a refunded one", async () => {
    location.hash = "#/seminars/sem_1";
    const paid = { ...SEMINAR, price: { kind: "product", product_id: "prd_1", hold_minutes: 30 } };
    const api = fakeApi({
      "GET /api/seminars/sem_1": paid,
      "PUT /api/seminars/sem_1": paid,
      "GET /api/seminars/sem_1/registrations": {
        items: [
          { ...REG, status: "pending_payment", hold_until: "2026-01-09T19:30:00+09:00" },
          { ...REG, registration_id: "reg_2", display_name: "太郎", status: "cancelled", refund_id: "re_1" },
        ],
      },
    });
    render(withApp(api, <SeminarsScreen />));
    const hold = (await screen.findByLabelText(/お支払い期限/)) as HTMLInputElement;
    expect(hold.value).toBe("30");
    const rows = await screen.findAllByTestId("roster-row");
    expect(rows[0]!.textContent).toContain("支払待ち");
    expect(rows[0]!.textContent).toContain("支払期限 2026/01/09 19:30");
    expect(rows[1]!.textContent).toContain("返金済");
    fireEvent.input(hold, { target: { value: "60" } });
    fireEvent.click(screen.getByTestId("seminar-save"));
    await waitFor(() => expect(api.calls.some((c) => c.startsWith("PUT /api/seminars/sem_1 ") && c.includes('"hold_minutes":60'))).toBe(true));
  });
  it("the event's own reminders are edited as rows and saved with the event", async () => {
    location.hash = "#/seminars/new";
    const api = fakeApi({ "POST /api/seminars": SEMINAR });
    render(withApp(api, <SeminarsScreen />));
    fireEvent.input(screen.getByLabelText("セミナー名"), { target: { value: "集客セミナー" } });
    fireEvent.click(screen.getByTestId("seminar-reminder-add"));
    fireEvent.click(screen.getByTestId("seminar-reminder-add"));
    const texts = screen.getAllByLabelText(/^本文/);
    fireEvent.input(texts[0]!, { target: { value: "明日は{{ fields.seminar_title }}です" } });
    fireEvent.input(texts[1]!, { target: { value: "まもなく開始です" } });
    fireEvent.change(screen.getAllByLabelText("送信方法")[1]!, { target: { value: "email" } });
    fireEvent.input(screen.getByLabelText(/^件名/), { target: { value: "まもなく開始" } });
    fireEvent.click(screen.getByTestId("seminar-save"));
    await waitFor(() => expect(location.hash).toBe("#/seminars/sem_1"));
    const sent = JSON.parse(api.calls[0]!.slice("POST /api/seminars ".length));
    expect(sent.reminders).toEqual([
      { minutes_before: 1440, channel: "line", subject: "", text: "明日は{{ fields.seminar_title }}です" },
      { minutes_before: 60, channel: "email", subject: "まもなく開始", text: "まもなく開始です" },
    ]);
  });
});
