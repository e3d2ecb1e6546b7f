import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import CrossAnalysisScreen, { type CrossTable, dimensionBody, shown } from "./CrossAnalysisScreen";

const TABLE: CrossTable = {
  rows: { title: "タグ", values: [{ key: "t1", label: "VIP" }, { key: "\u0000none", label: "タグなし" }] },
  columns: { title: "流入経路", values: [{ key: "ポスター", label: "ポスター" }, { key: "\u0000none", label: "流入経路なし" }] },
  cells: [[3, 1], [0, 4]],
  row_totals: [4, 4],
  column_totals: [3, 5],
  total: 8,
  friends_read: 8,
  elapsed_ms: 12,
  notes: [],
};
const OPTIONS = {
  "GET /api/tags": { folders: [{ folder_id: "tf_1", name: "性別" }], tags: [] },
  "GET /api/fields": { fields: [{ key: "plan", label: "プラン", type: "choice" }] },
  "GET /api/scenarios": { items: [{ id: "sc_1", name: "ようこそ" }] },
  "GET /api/segments": { segments: [{ segment_id: "seg_1", name: "常連" }] },
};

describe("cross analysis helpers", () => {
  it("sends only what the dimension's kind reads", () => {
    expect(dimensionBody({ kind: "tag", field_key: "x" })).toEqual({ kind: "tag" });
    expect(dimensionBody({ kind: "tag", folder_id: "tf_1" })).toEqual({ kind: "tag", folder_id: "tf_1" });
    expect(dimensionBody({ kind: "purchase" })).toEqual({ kind: "purchase", by_product: false });
    expect(dimensionBody({ kind: "route", scenario_id: "sc_1" })).toEqual({ kind: "route" });
  });

  it("shows a cell as a count or as a share of its row, column or all", () => {
    expect(shown(TABLE, "count", 3, 0, 0)).toBe("3");
    expect(shown(TABLE, "row", 3, 0, 0)).toBe("75.0%");
    expect(shown(TABLE, "column", 3, 0, 0)).toBe("100.0%");
    expect(shown(TABLE, "total", 4, 1, 1)).toBe("50.0%");
    expect(shown({ ...TABLE, total: 0 }, "total", 0, null, null)).toBe("—");
  });
});

describe("the cross analysis screen", () => {
  freshPageEachTest();
  afterEach(() => vi.unstubAllGlobals());

  it("counts tags by route through a segment and shows the table with totals and shares", async () => {
    location.hash = "#/analysis/cross";
    const api = fakeApi({ ...OPTIONS, "POST /api/analysis/cross": TABLE });
    render(withApp(api, <CrossAnalysisScreen />));
    await waitFor(() => expect(document.querySelectorAll("select[name=segment_id] option").length).toBe(2));
    fireEvent.change(document.querySelector("select[name=segment_id]")!, { target: { value: "seg_1" } });
    fireEvent.click(screen.getByTestId("cx-run"));
    await screen.findByTestId("cx-table");
    const post = api.calls.find((c) => c.startsWith("POST"))!;
    expect(JSON.parse(post.slice(post.indexOf("{")))).toEqual({ rows: { kind: "tag" }, columns: { kind: "route" }, segment_id: "seg_1", include_blocked: false });
    const cell = document.querySelector("tr[data-row=VIP] td[data-column=ポスター]")!;
    expect(cell.textContent).toBe("3");
    expect(document.querySelector("tr[data-row=total] td[data-column=total]")!.textContent).toBe("8");
    fireEvent.change(document.querySelector("select[name=show]")!, { target: { value: "row" } });
    expect(document.querySelector("tr[data-row=VIP] td[data-column=ポスター]")!.textContent).toBe("75.0%");
  });

  it("asks for the scenario when the kind is a scenario, and shows the API's refusal at the field", async () => {
    location.hash = "#/analysis/cross";
    const api = fakeApi({
      ...OPTIONS,
      "POST /api/analysis/cross": new ApiError({ status: 422, code: "validation_failed", message: "縦軸と横軸に同じ項目は選べません。別の項目を選んでください", where: "columns.kind" }),
    });
    render(withApp(api, <CrossAnalysisScreen />));
    fireEvent.change(await screen.findByTestId("cx-rows-kind"), { target: { value: "scenario" } });
    await waitFor(() => expect(document.querySelectorAll("select[name='rows.scenario_id'] option").length).toBe(2));
    fireEvent.change(screen.getByTestId("cx-rows-kind"), { target: { value: "route" } });
    fireEvent.click(screen.getByTestId("cx-run"));
    const error = await waitFor(() => {
      const el = document.querySelector("[data-field-error='columns.kind']");
      expect(el).not.toBeNull();
      return el!;
    });
    expect(error.textContent).toContain("同じ項目");
  });

  it("downloads the CSV in the chosen encoding", async () => {
    location.hash = "#/analysis/cross";
    const posted: unknown[] = [];
    vi.stubGlobal("fetch", vi.fn(async (_url: string, init: RequestInit) => {
      posted.push(JSON.parse(String(init.body)));
      return new Response("a,b", { status: 200 });
    }));
    const created: Blob[] = [];
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: (b: Blob) => (created.push(b), `blob:${created.length}`), revokeObjectURL: () => undefined }));
    render(withApp(fakeApi({ ...OPTIONS, "POST /api/analysis/cross": TABLE }), <CrossAnalysisScreen />));
    fireEvent.click(await screen.findByTestId("cx-run"));
    await screen.findByTestId("cx-table");
    fireEvent.change(document.querySelector("select[name=encoding]")!, { target: { value: "cp932" } });
    fireEvent.click(screen.getByTestId("cx-csv"));
    await waitFor(() => expect(created.length).toBe(1));
    expect(posted[0]).toEqual({ rows: { kind: "tag" }, columns: { kind: "route" }, include_blocked: false, encoding: "cp932" });
  });
});
