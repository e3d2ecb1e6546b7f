import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import IdListsScreen from "./IdListsScreen";

const UID = "U" + "a".repeat(32);
const REFS = { "GET /api/tags": { tags: [] }, "GET /api/fields": { fields: [] }, "GET /api/scenarios": { items: [] }, "GET /api/forms": { items: [] }, "GET /api/products": { items: [] }, "GET /api/lists": { lists: [] }, "GET /api/channels": { channels: [] } };
const FRIENDS = {
  items: [
    { subscriber_id: "s1", display_name: "佐藤", follow_status: "following", line: [{ channel_id: "c" }], tags: [] },
    { subscriber_id: "s2", display_name: "鈴木", follow_status: "no_line", line: [], tags: [] },
  ],
  total: 2,
};
const REPORT = {
  kind: "line_user_id", list_id: null, lines: 4, known: 1, problem_counts: { bad_line: 1, duplicate: 1, unknown: 1 },
  problems: [
    { line: 2, value: "hello", problem: "bad_line", message: "x" },
    { line: 3, value: UID, problem: "duplicate", same_as: 1, message: "x" },
    { line: 4, value: "U" + "b".repeat(32), problem: "unknown", message: "x" },
  ],
};

describe("ID lists (サロンズソリューション flow)", () => {
  freshPageEachTest();

  it("search shows the LINE link status; the ID download only for operators with the permission", async () => {
    location.hash = "#/id-lists/search";
    const api = fakeApi({ ...REFS, "POST /api/subscribers/search": FRIENDS, "GET /api/me": { permissions: ["view_subscribers"] } });
    render(withApp(api, <IdListsScreen />, "operator"));
    await screen.findByTestId("idlist-search-table");
    expect(screen.getAllByTestId("idlist-linked").map((c) => c.textContent)).toEqual(["〇", ""]);
    await screen.findByTestId("idlist-no-permission");
    expect(screen.queryByTestId("idlist-download")).toBeNull();
  });

  it("downloads only LINE user IDs, no header, for a permitted operator", async () => {
    location.hash = "#/id-lists/search";
    const api = fakeApi({ ...REFS, "POST /api/subscribers/search": FRIENDS, "GET /api/me": { permissions: ["view_line_user_ids"] }, "POST /api/exports": { rows: 1, url: "https://s3/x.csv" } });
    render(withApp(api, <IdListsScreen />));
    await screen.findByTestId("idlist-search-table");
    fireEvent.click(await screen.findByTestId("idlist-download"));
    expect((await screen.findByTestId("idlist-download-link")).getAttribute("href")).toBe("https://s3/x.csv");
    const call = api.calls.find((c) => c.startsWith("POST /api/exports"))!;
    const body = JSON.parse(call.slice("POST /api/exports ".length));
    expect(body).toEqual({ definition: { match: "all", conditions: [{ type: "follow", status: "following" }] }, columns: ["line_user_id"], encoding: "cp932", header: false });
  });

  it("a checked upload shows every bad row (row number and reason in Japanese) at the field, then saves the list", async () => {
    location.hash = "#/id-lists/new";
    const api = fakeApi({ "POST /api/broadcasts/id-lists": (b: unknown) => ((b as { save: boolean }).save ? { ...REPORT, list_id: "lst1" } : REPORT) });
    render(withApp(api, <IdListsScreen />));
    fireEvent.input(screen.getByLabelText("リスト名"), { target: { value: "VIP" } });
    const text = screen.getByLabelText("ID の一覧(1 行に 1 つ)") as HTMLTextAreaElement;
    fireEvent.input(text, { target: { value: `${UID}\nhello\n${UID}\nU${"b".repeat(32)}` } });
    fireEvent.click(screen.getByTestId("idlist-check"));
    const problems = await screen.findByTestId("idlist-problems");
    expect([...problems.querySelectorAll("li")].map((li) => li.textContent)).toEqual([
      "2 行目 hello — LINE ユーザーID の形式ではありません(U + 英数字 32 桁)",
      `3 行目 ${UID} — 1 行目と重複しています`,
      `4 行目 U${"b".repeat(32)} — この LINE ユーザーID の友だちはいません`,
    ]);
    expect(text.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByTestId("idlist-report").textContent).toContain("4 行中、友だちが見つかったのは 1 件です。");
    fireEvent.click(screen.getByTestId("idlist-save"));
    await waitFor(() => expect(location.hash).toBe("#/id-lists"));
    expect(api.calls.at(-1)).toBe(`POST /api/broadcasts/id-lists ${JSON.stringify({ kind: "line_user_id", text: text.value, name: "VIP", save: true })}`);
  });

  it("a chosen CSV file fills the IDs and names the list after the file", async () => {
    location.hash = "#/id-lists/new";
    render(withApp(fakeApi({}), <IdListsScreen />));
    const file = new File([`${UID}\n`], "春のVIP.csv", { type: "text/csv" });
    fireEvent.change(screen.getByTestId("idlist-file"), { target: { files: [file] } });
    const text = screen.getByLabelText("ID の一覧(1 行に 1 つ)") as HTMLTextAreaElement;
    await waitFor(() => expect(text.value).toBe(`${UID}\n`));
    expect((screen.getByLabelText("リスト名") as HTMLInputElement).value).toBe("春のVIP");
  });

  it("lists saved lists with send and a confirmed delete", async () => {
    location.hash = "#/id-lists";
    let lists = [{ list_id: "lst1", name: "VIP", kind: "line_user_id", count: 3, created_at: "2026-01-01T00:00:00+00:00" }];
    const api = fakeApi({ "GET /api/lists": () => ({ lists }), "DELETE /api/lists/lst1": () => ((lists = []), undefined) });
    render(withApp(api, <IdListsScreen />));
    await screen.findByTestId("idlist-list");
    expect(screen.getByTestId("idlist-send").getAttribute("href")).toBe("#/broadcasts/new?list=lst1");
    fireEvent.click(screen.getByTestId("idlist-delete"));
    expect(api.calls).toEqual(["GET /api/lists"]);
    fireEvent.click(screen.getByTestId("idlist-delete-confirm"));
    await screen.findByTestId("list-empty");
    expect(api.calls).toEqual(["GET /api/lists", "DELETE /api/lists/lst1", "GET /api/lists"]);
  });
});
