import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import { FriendFields } from "./FriendFields";
import { FriendTags } from "./FriendTags";
import type { FriendDetail } from "./types";

const FRIEND = {
  subscriber_id: "sub_1",
  display_name: "佐藤 美咲",
  tags: [
    { tag_id: "tag_vip", name: "VIP" },
    { tag_id: "tag_jouren", name: "常連" },
  ],
  fields: [
    { key: "shop", label: "担当店舗", type: "choice", choices: ["渋谷", "新宿"], required: true, value: "渋谷", text: "渋谷" },
    { key: "likes", label: "好きなもの", type: "multi_choice", choices: ["ネイル", "まつげ"], required: false, value: ["まつげ"], text: "まつげ" },
    { key: "visits", label: "来店回数", type: "number", value: null, text: null },
  ],
} as unknown as FriendDetail;
const TAGS = {
  folders: [{ folder_id: "tf_rank", name: "顧客ランク", position: 0 }],
  tags: [
    { tag_id: "tag_vip", name: "VIP", folder_id: "tf_rank" },
    { tag_id: "tag_jouren", name: "常連", folder_id: null },
  ],
};

describe("the friend page's tags", () => {
  freshPageEachTest();

  it("shows the friend's tags grouped by folder", async () => {
    render(withApp(fakeApi({ "GET /api/tags": TAGS }), <FriendTags friend={FRIEND} onSaved={() => undefined} />));
    await waitFor(() => expect(screen.getAllByTestId("friend-tag-group").map((g) => g.getAttribute("data-folder"))).toEqual(["顧客ランク", ""]));
    expect(screen.getAllByTestId("friend-tag-group")[0]!.textContent).toContain("VIP");
  });

  it("adds an existing tag by its name without creating one", async () => {
    const api = fakeApi({ "GET /api/tags": TAGS, "PATCH /api/subscribers/sub_1": FRIEND });
    render(withApp(api, <FriendTags friend={{ ...FRIEND, tags: [] }} onSaved={() => undefined} />));
    await waitFor(() => expect(api.calls).toContain("GET /api/tags"));
    fireEvent.input(screen.getByTestId("friend-tag-input"), { target: { value: "vip" } });
    expect(screen.queryByTestId("friend-tag-create")).toBeNull();
    fireEvent.click(screen.getByTestId("friend-tag-submit"));
    await waitFor(() => expect(api.calls).toContain('PATCH /api/subscribers/sub_1 {"add_tags":["tag_vip"]}'));
    expect(api.calls.some((c) => c.startsWith("POST"))).toBe(false);
  });

  it("creates a new tag inline, then adds it; a refused name shows at the input", async () => {
    let posts = 0;
    const api = fakeApi({
      "GET /api/tags": TAGS,
      "POST /api/tags": () =>
        ++posts === 1 ? new ApiError({ status: 422, code: "validation_failed", message: "タグ名に「,」は使えません", where: "name" }) : { tag_id: "tag_new", name: "春キャンペーン", folder_id: null },
      "PATCH /api/subscribers/sub_1": FRIEND,
    });
    let saved: FriendDetail | null = null;
    render(withApp(api, <FriendTags friend={FRIEND} onSaved={(f) => (saved = f)} />));
    const input = screen.getByTestId("friend-tag-input") as HTMLInputElement;
    fireEvent.input(input, { target: { value: "春,キャンペーン" } });
    expect(screen.getByTestId("friend-tag-create").textContent).toBe("「春,キャンペーン」を新しいタグとして作成して付けます。");
    fireEvent.click(screen.getByTestId("friend-tag-submit"));
    await waitFor(() => expect(document.querySelector("[data-field-error=add_tags]")?.textContent).toBe("タグ名に「,」は使えません"));
    expect(input.value).toBe("春,キャンペーン");
    fireEvent.input(input, { target: { value: "春キャンペーン" } });
    fireEvent.click(screen.getByTestId("friend-tag-submit"));
    await waitFor(() => expect(api.calls).toContain('PATCH /api/subscribers/sub_1 {"add_tags":["tag_new"]}'));
    expect(api.calls).toContain('POST /api/tags {"name":"春キャンペーン"}');
    expect(saved).toBe(FRIEND);
    await waitFor(() => expect(input.value).toBe(""));
  });
});

describe("the friend page's fields", () => {
  freshPageEachTest();

  it("shows every defined field in order with its label, a select of its choices and 必須", () => {
    render(withApp(fakeApi({}), <FriendFields friend={FRIEND} onSaved={() => undefined} />));
    const labels = [...document.querySelectorAll("[data-testid=fields] .field__label")].map((x) => x.textContent);
    expect(labels).toEqual(["担当店舗(必須)", "好きなもの", "来店回数"]);
    const shop = document.querySelector("select[name='fields.shop']") as HTMLSelectElement;
    expect([...shop.options].map((o) => o.value)).toEqual(["", "渋谷", "新宿"]);
    expect(shop.value).toBe("渋谷");
    const likes = [...document.querySelectorAll<HTMLInputElement>("input[name='fields.likes']")];
    expect(likes.map((x) => [x.value, x.checked])).toEqual([["ネイル", false], ["まつげ", true]]);
  });

  it("sends only the changed values in their types", async () => {
    const api = fakeApi({ "PATCH /api/subscribers/sub_1": FRIEND });
    render(withApp(api, <FriendFields friend={FRIEND} onSaved={() => undefined} />));
    fireEvent.change(document.querySelector("select[name='fields.shop']")!, { target: { value: "新宿" } });
    fireEvent.click(document.querySelector("input[name='fields.likes'][value='ネイル']")!);
    fireEvent.input(document.querySelector("input[name='fields.visits']")!, { target: { value: "3" } });
    fireEvent.click(screen.getByTestId("fields-save"));
    await waitFor(() => expect(api.calls).toEqual(['PATCH /api/subscribers/sub_1 {"fields":{"shop":"新宿","likes":["ネイル","まつげ"],"visits":3}}']));
  });

  it("clearing a required field: the API's refusal shows at that field and the choice stays cleared", async () => {
    const api = fakeApi({
      "PATCH /api/subscribers/sub_1": new ApiError({ status: 422, code: "validation_failed", message: "「担当店舗」は必須項目のため空にできません", where: "fields.shop" }),
    });
    render(withApp(api, <FriendFields friend={FRIEND} onSaved={() => undefined} />));
    const shop = document.querySelector("select[name='fields.shop']") as HTMLSelectElement;
    fireEvent.change(shop, { target: { value: "" } });
    fireEvent.click(screen.getByTestId("fields-save"));
    await waitFor(() => expect(document.querySelector("[data-field-error='fields.shop']")?.textContent).toBe("「担当店舗」は必須項目のため空にできません"));
    expect(api.calls).toEqual(['PATCH /api/subscribers/sub_1 {"fields":{"shop":null}}']);
    expect(shop.value).toBe("");
  });

  it("with no fields defined, links to where they are defined", () => {
    render(withApp(fakeApi({}), <FriendFields friend={{ ...FRIEND, fields: [] }} onSaved={() => undefined} />));
    expect(screen.getByText("友だち情報欄を定義").getAttribute("href")).toBe("#/settings/fields");
  });
});
