import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, typeSaveAndExpectErrorAtField, withApp } from "../../testing/app";
import { groupByFolder } from "./model";
import TagsScreen from "./TagsScreen";

const FOLDERS = [
  { folder_id: "tf_rank", name: "顧客ランク", position: 0 },
  { folder_id: "tf_src", name: "流入元", position: 1 },
];
const TAGS = [
  { tag_id: "tag_vip", name: "VIP", folder_id: "tf_rank", count: 3 },
  { tag_id: "tag_jouren", name: "常連", folder_id: null, count: 5 },
];
const BODY = { folders: FOLDERS, tags: TAGS };

describe("tags grouped by folder", () => {
  it("one group per folder in order, empty ones too, then the tags in no folder", () => {
    const groups = groupByFolder(FOLDERS, [...TAGS, { tag_id: "tag_x", name: "x", folder_id: "tf_gone" }]);
    expect(groups.map((g) => [g.folder?.name ?? null, g.tags.map((x) => x.name)])).toEqual([
      ["顧客ランク", ["VIP"]],
      ["流入元", []],
      [null, ["常連", "x"]],
    ]);
  });
});

describe("the tags screen", () => {
  freshPageEachTest();

  it("lists tags under their folders with the friends per tag, and moves a tag with its folder select", async () => {
    location.hash = "#/tags";
    const api = fakeApi({ "GET /api/tags": BODY, "PATCH /api/tags/tag_jouren": { tag_id: "tag_jouren", name: "常連", folder_id: "tf_src" } });
    render(withApp(api, <TagsScreen />));
    await screen.findAllByTestId("tag-group");
    const groups = screen.getAllByTestId("tag-group").map((g) => g.getAttribute("data-folder"));
    expect(groups).toEqual(["顧客ランク", "流入元", ""]);
    expect(screen.getAllByTestId("tag-count").map((x) => x.textContent)).toEqual(["3人", "5人"]);
    const move = screen.getAllByTestId("tag-move").find((s) => s.getAttribute("data-tag") === "常連")!;
    fireEvent.change(move, { target: { value: "tf_src" } });
    await waitFor(() => expect(api.calls).toContain('PATCH /api/tags/tag_jouren {"folder_id":"tf_src"}'));
  });

  it("creates a folder after the last one, and shows a refused name at the field", async () => {
    location.hash = "#/tags";
    let calls = 0;
    const api = fakeApi({
      "GET /api/tags": BODY,
      "POST /api/tag-folders": () =>
        ++calls === 1 ? new ApiError({ status: 422, code: "validation_failed", message: "名前が長すぎます", where: "name" }) : { folder_id: "tf_new", name: "イベント", position: 2 },
    });
    render(withApp(api, <TagsScreen />));
    const form = await screen.findByTestId("folder-new");
    const input = form.querySelector("input[name=name]") as HTMLInputElement;
    fireEvent.input(input, { target: { value: "イベント" } });
    fireEvent.click(screen.getByTestId("folder-add"));
    await waitFor(() => expect(form.querySelector("[data-field-error=name]")?.textContent).toBe("名前が長すぎます"));
    expect(input.value).toBe("イベント");
    fireEvent.click(screen.getByTestId("folder-add"));
    await waitFor(() => expect(input.value).toBe(""));
    expect(api.calls.filter((c) => c.startsWith("POST"))).toEqual(['POST /api/tag-folders {"name":"イベント","position":2}', 'POST /api/tag-folders {"name":"イベント","position":2}']);
  });

  it("moves a folder down by writing the new positions, and deletes one only after the confirm", async () => {
    location.hash = "#/tags";
    const api = fakeApi({ "GET /api/tags": BODY, "PATCH /api/tag-folders/tf_rank": {}, "PATCH /api/tag-folders/tf_src": {}, "DELETE /api/tag-folders/tf_src": undefined });
    render(withApp(api, <TagsScreen />));
    await screen.findAllByTestId("folder-row");
    fireEvent.click(screen.getAllByTestId("folder-down")[0]!);
    await waitFor(() => expect(api.calls).toContain('PATCH /api/tag-folders/tf_rank {"position":1}'));
    expect(api.calls).toContain('PATCH /api/tag-folders/tf_src {"position":0}');
    fireEvent.click(screen.getAllByTestId("folder-delete")[1]!);
    expect(api.calls.some((c) => c.startsWith("DELETE"))).toBe(false);
    expect(screen.getByText("フォルダ「流入元」を削除しますか?中のタグはフォルダなしになります。")).toBeTruthy();
    fireEvent.click(screen.getByTestId("folder-delete-confirm"));
    await waitFor(() => expect(api.calls).toContain("DELETE /api/tag-folders/tf_src"));
  });

  it("a new tag whose name is taken keeps what was typed and shows the message at the name", async () => {
    location.hash = "#/tags/new";
    const api = fakeApi({
      "GET /api/tags": BODY,
      "POST /api/tags": new ApiError({ status: 409, code: "conflict", message: "a tag named 「VIP」 already exists", where: "name" }),
    });
    render(withApp(api, <TagsScreen />));
    const name = (await screen.findByLabelText("タグ名")) as HTMLInputElement;
    await typeSaveAndExpectErrorAtField(name, "VIP", "tag-save", "a tag named 「VIP」 already exists");
  });

  it("the delete asks with the number of friends it changes, and deletes only after the confirm", async () => {
    location.hash = "#/tags/tag_vip";
    const api = fakeApi({
      "GET /api/tags": BODY,
      "GET /api/tags/tag_vip/usage": { tag_id: "tag_vip", name: "VIP", folder_id: "tf_rank", friends: 3 },
      "DELETE /api/tags/tag_vip": undefined,
    });
    render(withApp(api, <TagsScreen />));
    expect((await screen.findByTestId("tag-usage")).textContent).toBe("このタグが付いた友だち: 3人");
    fireEvent.click(screen.getByTestId("tag-delete"));
    expect(screen.getByText("このタグを削除しますか?3人の友だちからこのタグが外れます。")).toBeTruthy();
    expect(api.calls.some((c) => c.startsWith("DELETE"))).toBe(false);
    fireEvent.click(screen.getByTestId("tag-delete-confirm"));
    await waitFor(() => expect(location.hash).toBe("#/tags"));
    expect(api.calls).toContain("DELETE /api/tags/tag_vip");
  });

  it("merges only after the dry run's count is shown; a refused target shows at the field", async () => {
    location.hash = "#/tags/tag_vip";
    const api = fakeApi({
      "GET /api/tags": BODY,
      "GET /api/tags/tag_vip/usage": { tag_id: "tag_vip", name: "VIP", folder_id: "tf_rank", friends: 3 },
      "POST /api/tags/tag_vip/merge": (b: unknown) => {
        const body = b as { into_tag_id: string; dry_run: boolean };
        if (!body.into_tag_id) return new ApiError({ status: 422, code: "validation_failed", message: "統合先を選んでください", where: "into_tag_id" });
        return { friends_affected: 3, dry_run: body.dry_run };
      },
    });
    render(withApp(api, <TagsScreen />));
    const panel = await screen.findByTestId("tag-merge");
    fireEvent.click(screen.getByTestId("tag-merge-check"));
    await waitFor(() => expect(panel.querySelector("[data-field-error=into_tag_id]")?.textContent).toBe("統合先を選んでください"));
    await waitFor(() => expect(panel.querySelectorAll("select[name=into_tag_id] option").length).toBe(2));
    fireEvent.change(panel.querySelector("select[name=into_tag_id]")!, { target: { value: "tag_jouren" } });
    fireEvent.click(screen.getByTestId("tag-merge-check"));
    expect((await screen.findByTestId("tag-merge-count")).textContent).toBe("3人の友だちのタグが変わります");
    expect(api.calls.filter((c) => c.includes('"dry_run":false'))).toEqual([]);
    fireEvent.click(screen.getByTestId("tag-merge-confirm"));
    await waitFor(() => expect(location.hash).toBe("#/tags"));
    expect(api.calls).toContain('POST /api/tags/tag_vip/merge {"into_tag_id":"tag_jouren","dry_run":false}');
  });
});
