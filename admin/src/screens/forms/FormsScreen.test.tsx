import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, withApp, freshPageEachTest, typeSaveAndExpectErrorAtField } from "../../testing/app";
import FormsScreen from "./FormsScreen";

describe("forms on the shared shell", () => {
  freshPageEachTest();

  it("builder: fields can be added and reordered; a refused redirect URL is shown at its field and the form is kept", async () => {
    location.hash = "#/forms/new";
    const api = fakeApi({ "POST /api/forms": new ApiError({ status: 422, code: "validation_failed", message: "https:// で始まる URL を入力してください", where: "redirect_url" }) });
    render(withApp(api, <FormsScreen />));
    fireEvent.click(screen.getByTestId("form-add-field"));
    expect(screen.getAllByTestId("form-field")).toHaveLength(2);
    fireEvent.input(document.querySelector("input[name='fields.1.label']")!, { target: { value: "誕生日" } });
    fireEvent.click(screen.getAllByLabelText("上へ")[1]!);
    expect((document.querySelector("input[name='fields.0.label']") as HTMLInputElement).value).toBe("誕生日");
    fireEvent.click(document.querySelector("input[name=after][value=redirect]")!);
    const url = document.querySelector("input[name=redirect_url]") as HTMLInputElement;
    await typeSaveAndExpectErrorAtField(url, "http://example.com", "form-save", "https:// で始まる URL を入力してください");
    const body = JSON.parse(api.calls[0]!.replace(/^POST \/api\/forms /, ""));
    expect(body.redirect_url).toBe("http://example.com");
    expect(body.fields.map((f: { label: string }) => f.label)).toEqual(["誕生日", "お名前"]);
    expect("after" in body).toBe(false);
    await waitFor(() => expect(location.hash).toBe("#/forms/new"));
  });

  it("builder: a seminar session field picks the seminar and is sent with it, never mapped to a friend field", async () => {
    location.hash = "#/forms/new";
    const api = fakeApi({
      "GET /api/seminars": { items: [{ event_id: "sem_1", title: "集客セミナー" }] },
      "POST /api/forms": { form_id: "f9", url: "https://x/f/f9", definition: {}, created_at: "", updated_at: "" },
    });
    render(withApp(api, <FormsScreen />));
    fireEvent.input(document.querySelector("input[name=name]")!, { target: { value: "申込フォーム" } });
    fireEvent.input(document.querySelector("input[name=title]")!, { target: { value: "お申込み" } });
    fireEvent.click(screen.getByTestId("form-add-field"));
    fireEvent.change(document.querySelector("select[name='fields.1.type']")!, { target: { value: "seminar_session" } });
    expect((document.querySelector("select[name='fields.1.type']") as HTMLSelectElement).value).toBe("seminar_session");
    expect(document.querySelector("select[name='fields.1.maps_to']")).toBeNull();
    const pick = await waitFor(() => {
      const el = document.querySelector("select[name='fields.1.seminar_id']") as HTMLSelectElement;
      expect(el.textContent).toContain("集客セミナー");
      return el;
    });
    fireEvent.change(pick, { target: { value: "sem_1" } });
    fireEvent.click(screen.getByTestId("form-save"));
    await waitFor(() => expect(api.calls.some((c) => c.startsWith("POST /api/forms"))).toBe(true));
    const body = JSON.parse(api.calls.find((c) => c.startsWith("POST /api/forms"))!.replace(/^POST \/api\/forms /, ""));
    expect(body.fields[1]).toMatchObject({ type: "seminar_session", seminar_id: "sem_1", maps_to: null });
    expect(body.fields[0].seminar_id).toBeNull();
  });

  it("answers: one column per question, the next page on 'more'", async () => {
    location.hash = "#/forms/f1/answers";
    const view = { form_id: "f1", url: "https://x/f/f1", definition: { name: "来店予約", fields: [{ key: "name", label: "お名前" }, { key: "menu", label: "メニュー" }] } };
    const answer = (n: number) => ({ submission_id: `s${n}`, subscriber_id: null, answers: { name: `客${n}`, menu: ["カット", "カラー"] }, line_bound: false, at: "2026-11-01T01:00:00Z" });
    let page = 0;
    const api = fakeApi({ "GET /api/forms/f1": view, "GET /api/forms/f1/answers": () => (page++ === 0 ? { items: [answer(1)], cursor: "n" } : { items: [answer(2)], cursor: null }) });
    render(withApp(api, <FormsScreen />));
    const table = await screen.findByTestId("form-answers");
    await waitFor(() => expect([...table.querySelectorAll("th")].map((th) => th.textContent)).toEqual(["回答日時", "お名前", "メニュー", "友だち"]));
    expect(screen.getByRole("heading").textContent).toContain("来店予約");
    fireEvent.click(screen.getByTestId("list-more"));
    await waitFor(() => expect(table.querySelectorAll("tbody tr")).toHaveLength(2));
    expect(table.querySelector("tbody tr td:nth-child(3)")!.textContent).toBe("カット, カラー");
    expect(screen.queryByTestId("list-more")).toBeNull();
  });
});
