import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, typeSaveAndExpectErrorAtField, withApp } from "../../testing/app";
import FieldsScreen from "./FieldsScreen";

const SHOP = { key: "shop", label: "担当店舗", type: "choice", choices: ["渋谷", "新宿"], scope: "shared", scenario_id: null, position: 0, required: true };
const NOTE = { key: "note", label: "メモ", type: "text", choices: [], scope: "shared", scenario_id: null, position: 1, required: false };

describe("friend field definitions", () => {
  freshPageEachTest();

  it("lists the fields in definition order with type, choices and required", async () => {
    location.hash = "#/settings/fields";
    render(withApp(fakeApi({ "GET /api/fields": { fields: [SHOP, NOTE] } }), <FieldsScreen />));
    await screen.findByTestId("field-list");
    const rows = screen.getAllByTestId("field-row");
    expect(rows.map((r) => r.getAttribute("data-key"))).toEqual(["shop", "note"]);
    expect(rows[0]!.textContent).toContain("選択肢(1つ) (渋谷 / 新宿)");
    expect(rows[0]!.textContent).toContain("必須");
    expect(rows[1]!.textContent).not.toContain("必須");
  });

  it("creates a choice field: key, type, one choice a line, required", async () => {
    location.hash = "#/settings/fields/new";
    const api = fakeApi({ "GET /api/scenarios": { items: [] }, "POST /api/fields": SHOP, "GET /api/fields": { fields: [SHOP] } });
    render(withApp(api, <FieldsScreen />));
    fireEvent.input(screen.getByLabelText("表示名"), { target: { value: "担当店舗" } });
    fireEvent.input(document.querySelector("input[name=key]")!, { target: { value: "shop" } });
    fireEvent.change(screen.getByLabelText("種類"), { target: { value: "choice" } });
    fireEvent.input(await screen.findByLabelText("選択肢(1 行に 1 つ)"), { target: { value: "渋谷\n 新宿 \n\n" } });
    fireEvent.click(screen.getByLabelText("必須(一度入った値は空にできません)"));
    fireEvent.click(screen.getByTestId("field-save"));
    await waitFor(() => expect(location.hash).toBe("#/settings/fields"));
    expect(api.calls).toContain(
      'POST /api/fields {"key":"shop","type":"choice","label":"担当店舗","choices":["渋谷","新宿"],"scope":"shared","scenario_id":null,"position":0,"required":true}',
    );
  });

  it("a refused change keeps the choices typed and shows the message at the choices", async () => {
    location.hash = "#/settings/fields/shop";
    const api = fakeApi({
      "GET /api/fields/shop": SHOP,
      "GET /api/scenarios": { items: [] },
      "PATCH /api/fields/shop": new ApiError({ status: 422, code: "validation_failed", message: "同じ選択肢が 2 回入っています", where: "choices" }),
    });
    render(withApp(api, <FieldsScreen />));
    const box = (await screen.findByLabelText("選択肢(1 行に 1 つ)")) as HTMLTextAreaElement;
    expect(document.querySelector("input[name=key]")).toBeNull(); // key and type cannot change
    expect(screen.queryByLabelText("種類")).toBeNull();
    await typeSaveAndExpectErrorAtField(box, "渋谷\n渋谷", "field-save", "同じ選択肢が 2 回入っています");
    expect(api.calls.at(-1)).toBe('PATCH /api/fields/shop {"label":"担当店舗","choices":["渋谷","渋谷"],"scope":"shared","scenario_id":null,"position":0,"required":true}');
  });

  it("a per-scenario field picks its scenario", async () => {
    location.hash = "#/settings/fields/note";
    const api = fakeApi({ "GET /api/fields/note": NOTE, "GET /api/scenarios": { items: [{ id: "sc_1", name: "ステップ配信" }] }, "PATCH /api/fields/note": NOTE, "GET /api/fields": { fields: [NOTE] } });
    render(withApp(api, <FieldsScreen />));
    fireEvent.click(await screen.findByLabelText("シナリオ別"));
    const pick = (await screen.findByLabelText("シナリオ")) as HTMLSelectElement;
    await waitFor(() => expect(pick.options.length).toBe(2));
    fireEvent.change(pick, { target: { value: "sc_1" } });
    fireEvent.click(screen.getByTestId("field-save"));
    await waitFor(() => expect(api.calls.some((c) => c.startsWith("PATCH /api/fields/note") && c.includes('"scope":"scenario","scenario_id":"sc_1"'))).toBe(true));
  });

  it("deletes a field only after the confirm", async () => {
    location.hash = "#/settings/fields/note";
    const api = fakeApi({ "GET /api/fields/note": NOTE, "GET /api/scenarios": { items: [] }, "DELETE /api/fields/note": undefined });
    render(withApp(api, <FieldsScreen />));
    fireEvent.click(await screen.findByTestId("field-delete"));
    expect(api.calls.some((c) => c.startsWith("DELETE"))).toBe(false);
    fireEvent.click(screen.getByTestId("field-delete-confirm"));
    await waitFor(() => expect(location.hash).toBe("#/settings/fields"));
    expect(api.calls).toContain("DELETE /api/fields/note");
  });
});
