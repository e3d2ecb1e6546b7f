import { fireEvent, render, screen, waitFor, within } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import { FriendRichMenu, reasonText } from "./FriendRichMenu";
import { StatsView } from "./MenuStats";
import { applyLayout, chatBarProblem, imageProblems, LAYOUTS, layoutBounds, type RelinkJob, type RichMenu, SIZES, sniffImage, tabSet } from "./model";
import RichMenusScreen from "./RichMenusScreen";
import { RulesView } from "./RulesScreen";

/** A PNG's first bytes (signature + IHDR) with the given size, padded to `bytes`. */
function png(width: number, height: number, bytes = 64): Uint8Array {
  const b = new Uint8Array(Math.max(bytes, 33));
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const dv = new DataView(b.buffer);
  dv.setUint32(16, width);
  dv.setUint32(20, height);
  return b;
}

/** A JPEG's first bytes: SOI, an APP0 segment, then SOF0 with the size. */
function jpeg(width: number, height: number): Uint8Array {
  return new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, height >> 8, height & 255, width >> 8, width & 255, 3, 0, 0, 0, 0, 0]);
}

const CH = "1234567890";

function menu(over: Partial<RichMenu> = {}): RichMenu {
  return {
    id: "rmn_01A",
    name: "メイン",
    channel_id: CH,
    size: SIZES.large,
    chat_bar_text: "メニュー",
    selected: true,
    areas: applyLayout(LAYOUTS.find((l) => l.id === "large2cols")!, SIZES.large, []).map((a) => ({ ...a, action: { type: "message", text: "こんにちは" } })),
    image: null,
    line_rich_menu_id: null,
    alias_id: null,
    status: "draft",
    ...over,
  };
}

const BASE = {
  "GET /api/channels": { channels: [{ channel_id: CH, name: "店舗" }] },
  "GET /api/rich-menus": { items: [] },
  "GET /api/forms": { items: [] },
};

describe("rich menu rules of LINE, in the browser", () => {
  freshPageEachTest();

  it("reads the type and size from the bytes and says in Japanese why LINE would refuse the image", () => {
    expect(sniffImage(png(2500, 1686))).toEqual({ content_type: "image/png", width: 2500, height: 1686 });
    expect(sniffImage(jpeg(2500, 843))).toEqual({ content_type: "image/jpeg", width: 2500, height: 843 });
    expect(sniffImage(new TextEncoder().encode("GIF89a......"))).toBeNull();

    expect(imageProblems(sniffImage(png(2500, 1686)), 500_000, SIZES.large)).toEqual([]);
    expect(imageProblems(null, 10, SIZES.large)).toEqual(["JPEG または PNG の画像を選んでください(このファイルは JPEG・PNG ではありません)。"]);
    expect(imageProblems(sniffImage(png(700, 400)), 1000, null)).toEqual(["画像の幅が 700 px です。幅は 800〜2500 px にしてください。"]);
    expect(imageProblems(sniffImage(png(2600, 1686)), 1000, null)[0]).toBe("画像の幅が 2600 px です。幅は 800〜2500 px にしてください。");
    expect(imageProblems(sniffImage(png(1000, 200)), 1000, null)).toEqual(["画像の高さが 200 px です。高さは 250 px 以上にしてください。"]);
    expect(imageProblems(sniffImage(png(1000, 800)), 1000, null)).toEqual(["画像の幅÷高さが 1.25 です。1.45 以上(横長)にしてください。"]);
    expect(imageProblems(sniffImage(png(2500, 1686)), 1_100_000, null)).toEqual(["画像のファイルサイズが 1075 KB です。1 MB (1024 KB) 以下にしてください。"]);
    expect(imageProblems(sniffImage(png(2500, 843)), 1000, SIZES.large)).toEqual([
      "画像の大きさ 2500×843 px がメニューのサイズ 2500×1686 px と違います。サイズを選び直すか、同じ大きさの画像にしてください。",
    ]);
  });

  it("limits the chat bar to 14 characters", () => {
    expect(chatBarProblem("メニューを開く")).toBeUndefined();
    expect(chatBarProblem("12345678901234")).toBeUndefined();
    expect(chatBarProblem("123456789012345")).toBe("メニューバーのテキストは 14 文字以内にしてください(現在 15 文字)。");
    expect(chatBarProblem("")).toBe("メニューバーのテキストを入力してください。");
  });

  it("lays out the standard templates with shared edges, and finds a tab set both ways", () => {
    expect(LAYOUTS.filter((l) => l.size === "large").map((l) => l.cells.length)).toEqual([6, 4, 4, 3, 3, 2, 2, 1]);
    expect(LAYOUTS.filter((l) => l.size === "compact").map((l) => l.cells.length)).toEqual([3, 2, 2, 1]);
    const six = layoutBounds(LAYOUTS[0]!, SIZES.large);
    expect(six.slice(0, 3).map((b) => [b.x, b.width])).toEqual([[0, 833], [833, 834], [1667, 833]]);
    expect(six[3]).toEqual({ x: 0, y: 843, width: 833, height: 843 });
    const a = menu({ id: "rmn_A", areas: [{ bounds: { x: 0, y: 0, width: 10, height: 10 }, label: "", action: { type: "tab", menu_id: "rmn_B" } }] });
    const b = menu({ id: "rmn_B", areas: [{ bounds: { x: 0, y: 0, width: 10, height: 10 }, label: "", action: { type: "tab", menu_id: "rmn_C" } }] });
    const c = menu({ id: "rmn_C" });
    const d = menu({ id: "rmn_D" });
    expect(tabSet("rmn_C", [a, b, c, d])).toEqual(["rmn_C", "rmn_A", "rmn_B"]);
  });
});

describe("the rich menu editor", () => {
  freshPageEachTest("#/rich-menus/new?channel=" + CH);

  const chooseFile = async (bytes: Uint8Array, name = "menu.png", type = "image/png") => {
    const input = (await screen.findByTestId("rm-image")) as HTMLInputElement;
    const file = new File([bytes as BlobPart], name, { type });
    Object.defineProperty(input, "files", { value: [file], configurable: true });
    fireEvent.change(input);
  };

  it("refuses an image in the browser with the reason, before any upload", async () => {
    const api = fakeApi(BASE);
    render(withApp(api, <RichMenusScreen />));
    await chooseFile(png(2500, 843));
    const problems = await screen.findByTestId("rm-image-problems");
    expect(problems.textContent).toContain("画像の大きさ 2500×843 px がメニューのサイズ 2500×1686 px と違います。");
    await chooseFile(new TextEncoder().encode("not an image at all, just text"), "menu.gif", "image/gif");
    await waitFor(() => expect(screen.getByTestId("rm-image-problems").textContent).toContain("JPEG または PNG の画像を選んでください"));
    fireEvent.click(screen.getByTestId("rm-layout-large1"));
    fireEvent.input(screen.getByLabelText("メニュー名(管理用)"), { target: { value: "メイン" } });
    fireEvent.input(screen.getByLabelText(/^送信するテキスト/), { target: { value: "こんにちは" } });
    fireEvent.click(screen.getByTestId("rm-save"));
    await screen.findByRole("alert", { name: "" }).catch(() => undefined);
    await waitFor(() => expect(document.querySelector("[data-error-code=validation_failed]")).not.toBeNull());
    expect(api.calls.some((c) => c.startsWith("POST") || c.startsWith("PUT"))).toBe(false);
  });

  it("a template applies its areas, at most 20 areas can be added, and a drawn 21st is refused", async () => {
    render(withApp(fakeApi(BASE), <RichMenusScreen />));
    fireEvent.click(await screen.findByLabelText("テンプレート: 大・上 1 + 下 3(4 エリア)"));
    expect(screen.getAllByTestId("rm-area")).toHaveLength(4);
    expect(screen.getByRole("button", { name: "エリア 1" }).style.width).toBe("100%");
    fireEvent.click(screen.getByTestId("rm-layout-large6"));
    expect(screen.getAllByTestId("rm-area")).toHaveLength(6);
    fireEvent.change(screen.getByTestId("rm-size"), { target: { value: "compact" } });
    fireEvent.click(await screen.findByTestId("rm-layout-compact3"));
    expect(screen.getAllByTestId("rm-area")).toHaveLength(3);
    expect(screen.queryByTestId("rm-area-limit")).toBeNull();
    const add = screen.getByTestId("rm-area-add") as HTMLButtonElement;
    for (let i = 0; i < 17; i++) fireEvent.click(add);
    expect(screen.getAllByTestId("rm-area")).toHaveLength(20);
    expect(add.disabled).toBe(true);
    expect(screen.getByTestId("rm-area-limit").textContent).toBe("エリアは 20 個までです。これ以上は追加できません。");
    expect(screen.getByTestId("rm-area-count-total").textContent).toBe("20 / 20 エリア");
    // drawing on the image: a 21st area is refused too
    const board = screen.getAllByTestId("rm-board")[0]!;
    board.getBoundingClientRect = () => ({ left: 0, top: 0, width: 250, height: 84.3, right: 250, bottom: 84.3, x: 0, y: 0, toJSON: () => ({}) });
    fireEvent.pointerDown(board, { clientX: 10, clientY: 10, pointerId: 1 });
    fireEvent.pointerMove(board, { clientX: 60, clientY: 50, pointerId: 1 });
    fireEvent.pointerUp(board, { clientX: 60, clientY: 50, pointerId: 1 });
    expect(screen.getAllByTestId("rm-area")).toHaveLength(20);
  });

  it("draws an area by dragging, and edits its bounds with the numbers", async () => {
    render(withApp(fakeApi(BASE), <RichMenusScreen />));
    const board = (await screen.findAllByTestId("rm-board"))[0]!;
    board.getBoundingClientRect = () => ({ left: 0, top: 0, width: 250, height: 168.6, right: 250, bottom: 168.6, x: 0, y: 0, toJSON: () => ({}) });
    fireEvent.pointerDown(board, { clientX: 10, clientY: 20, pointerId: 1 });
    fireEvent.pointerMove(board, { clientX: 110, clientY: 70, pointerId: 1 });
    fireEvent.pointerUp(board, { clientX: 110, clientY: 70, pointerId: 1 });
    const edit = await screen.findByTestId("rm-area-edit");
    expect((within(edit).getByLabelText("X") as HTMLInputElement).value).toBe("100");
    expect((within(edit).getByLabelText("Y") as HTMLInputElement).value).toBe("200");
    expect((within(edit).getByLabelText("幅") as HTMLInputElement).value).toBe("1000");
    expect((within(edit).getByLabelText("高さ") as HTMLInputElement).value).toBe("500");
    fireEvent.input(within(edit).getByLabelText("幅"), { target: { value: "1250" } });
    expect(screen.getByRole("button", { name: "エリア 1" }).style.width).toBe("50%");
  });

  it("shows the chat-bar counter and refuses 15 characters without calling the API", async () => {
    const api = fakeApi(BASE);
    render(withApp(api, <RichMenusScreen />));
    const bar = (await screen.findByTestId("rm-chatbar")) as HTMLInputElement;
    fireEvent.input(bar, { target: { value: "あいうえおかきくけこさしすせそ" } });
    expect(screen.getByTestId("rm-chatbar-count").textContent).toBe("15/14");
    expect(bar.getAttribute("aria-invalid")).toBe("true");
    expect(bar.closest("label")!.querySelector(".field__error")!.textContent).toBe("メニューバーのテキストは 14 文字以内にしてください(現在 15 文字)。");
    expect(screen.getByTestId("rm-preview-chatbar").textContent).toContain("あいうえおかきくけこさしすせそ");
    fireEvent.click(screen.getByTestId("rm-save"));
    await waitFor(() => expect(document.querySelector("[data-error-code=validation_failed]")).not.toBeNull());
    expect(api.calls.filter((c) => !c.startsWith("GET"))).toEqual([]);
  });

  it("saves a new menu, uploads the checked image, publishes and opens the saved menu", async () => {
    const saved = menu({ id: "rmn_NEW" });
    const api = fakeApi({
      ...BASE,
      "POST /api/rich-menus": saved,
      "PUT /api/rich-menus/rmn_NEW/image": { content_type: "image/png", width: 2500, height: 1686, bytes: 64 },
      "POST /api/rich-menus/rmn_NEW/publish": { ...saved, status: "published" },
    });
    render(withApp(api, <RichMenusScreen />));
    fireEvent.input(await screen.findByLabelText("メニュー名(管理用)"), { target: { value: "メイン" } });
    await chooseFile(png(2500, 1686));
    await screen.findByTestId("rm-image-ok");
    fireEvent.click(screen.getByTestId("rm-layout-large2cols"));
    fireEvent.change(screen.getByTestId("rm-action-type"), { target: { value: "uri" } });
    fireEvent.input(screen.getByLabelText("開く URL"), { target: { value: "https://shop.example/sale" } });
    fireEvent.click(screen.getByRole("button", { name: "エリア 2" }));
    fireEvent.change(screen.getByTestId("rm-action-type"), { target: { value: "postback" } });
    fireEvent.click(screen.getByTestId("action-add"));
    fireEvent.input(document.querySelector("input[name='areas[1].action.actions[0].tag']")!, { target: { value: "VIP" } });
    fireEvent.click(screen.getByTestId("rm-publish"));
    await waitFor(() => expect(location.hash).toBe("#/rich-menus/rmn_NEW"));
    const post = api.calls.find((c) => c.startsWith("POST /api/rich-menus "))!;
    const body = JSON.parse(post.slice(post.indexOf("{")));
    expect(body).toMatchObject({ name: "メイン", channel_id: CH, size: { width: 2500, height: 1686 }, chat_bar_text: "メニュー", selected: true });
    expect(body.areas.map((a: { action: unknown }) => a.action)).toEqual([
      { type: "uri", uri: "https://shop.example/sale", track: true },
      { type: "postback", actions: [{ type: "add_tag", tag: "VIP" }], display_text: null },
    ]);
    expect(body.areas[1].bounds).toEqual({ x: 1250, y: 0, width: 1250, height: 1686 });
    const upload = api.calls.find((c) => c.startsWith("PUT /api/rich-menus/rmn_NEW/image"))!;
    expect(JSON.parse(upload.slice(upload.indexOf("{")))).toMatchObject({ content_type: "image/png" });
    expect(api.calls.filter((c) => !c.startsWith("GET")).map((c) => c.split(" ").slice(0, 2).join(" "))).toEqual([
      "POST /api/rich-menus",
      "PUT /api/rich-menus/rmn_NEW/image",
      "POST /api/rich-menus/rmn_NEW/publish",
    ]);
  });

  it("shows the server's refusal of the image at the image field", async () => {
    location.hash = "#/rich-menus/rmn_01A";
    const api = fakeApi({
      ...BASE,
      "GET /api/rich-menus/rmn_01A": menu(),
      "PUT /api/rich-menus/rmn_01A": menu(),
      "PUT /api/rich-menus/rmn_01A/image": new ApiError({ status: 422, code: "validation_failed", message: "画像が壊れています(PNG として読めません)。", where: "data" }),
    });
    render(withApp(api, <RichMenusScreen />));
    await screen.findByTestId("rm-status");
    await chooseFile(png(2500, 1686));
    await screen.findByTestId("rm-image-ok");
    fireEvent.click(screen.getByTestId("rm-save"));
    await waitFor(() => expect(document.querySelector("[data-field-error=image]")?.textContent).toBe("画像が壊れています(PNG として読めません)。"));
  });

  it("shows the tab set, adds a tab pre-linked both ways, and deletes only after the confirm", async () => {
    location.hash = "#/rich-menus/rmn_A";
    const a = menu({ id: "rmn_A", name: "タブ A", areas: [{ bounds: { x: 0, y: 0, width: 1250, height: 300 }, label: "B へ", action: { type: "tab", menu_id: "rmn_B" } }] });
    const b = menu({ id: "rmn_B", name: "タブ B", areas: [{ bounds: { x: 0, y: 0, width: 1250, height: 300 }, label: "A へ", action: { type: "tab", menu_id: "rmn_A" } }] });
    const api = fakeApi({
      ...BASE,
      "GET /api/rich-menus": { items: [a, b] },
      "GET /api/rich-menus/rmn_A": a,
      "POST /api/rich-menus": (body: unknown) => ({ ...menu(body as Partial<RichMenu>), id: "rmn_C" }),
      "DELETE /api/rich-menus/rmn_A": new ApiError({ status: 409, code: "conflict", message: "リッチメニュー「タブ B」がこのメニューをタブとして使っているため削除できません。", where: "menu_id" }),
    });
    render(withApp(api, <RichMenusScreen />));
    await waitFor(() => expect(screen.getAllByTestId("rm-tab").map((x) => x.textContent)).toEqual(["タブ A", "タブ B", "タブ A", "タブ B"]));
    fireEvent.click(screen.getByTestId("rm-add-tab"));
    await screen.findByText(/タブ「タブ A タブ 3」を作成しました/);
    const post = api.calls.find((c) => c.startsWith("POST /api/rich-menus"))!;
    expect(JSON.parse(post.slice(post.indexOf("{"))).areas[0].action).toEqual({ type: "tab", menu_id: "rmn_A" });
    expect(screen.getAllByTestId("rm-area-pick")).toHaveLength(2);
    fireEvent.click(screen.getByTestId("rm-delete"));
    expect(api.calls.some((c) => c.startsWith("DELETE"))).toBe(false);
    fireEvent.click(screen.getByTestId("rm-delete-confirm"));
    expect(await screen.findByText("リッチメニュー「タブ B」がこのメニューをタブとして使っているため削除できません。")).toBeTruthy();
  });
});

describe("the rich menu list", () => {
  freshPageEachTest("#/rich-menus");

  it("lists the channel's menus with status and tab links", async () => {
    const a = menu({ id: "rmn_A", name: "タブ A", status: "published", areas: [{ bounds: { x: 0, y: 0, width: 10, height: 10 }, label: "", action: { type: "tab", menu_id: "rmn_B" } }] });
    const b = menu({ id: "rmn_B", name: "タブ B" });
    render(withApp(fakeApi({ ...BASE, "GET /api/rich-menus": { items: [a, b] } }), <RichMenusScreen />));
    const rows = await screen.findAllByTestId("rm-row");
    expect(rows.map((r) => within(r).getByTestId("rm-row-status").textContent)).toEqual(["公開中", "下書き"]);
    expect(within(rows[0]!).getByTestId("rm-row-tabs").textContent).toContain("タブ B");
    expect(screen.getByTestId("rm-rules-link").getAttribute("href")).toBe(`#/rich-menus/rules?channel=${CH}`);
  });
});

describe("the display rules", () => {
  freshPageEachTest("#/rich-menus/rules");

  it("saves the ordered rules and follows the re-link job until it is done", async () => {
    const job = (over: Partial<RelinkJob>): RelinkJob => ({ id: "job_1", status: "running", total: 1000, done: 0, linked: 0, unlinked: 0, calls: 0, started_at: null, finished_at: null, error: null, ...over });
    let polls = 0;
    const api = fakeApi({
      "GET /api/rich-menu-rules": { channel_id: CH, default_menu_id: "rmn_A", rules: [], job: null },
      "GET /api/rich-menus": { items: [menu({ id: "rmn_A", name: "通常", status: "published" }), menu({ id: "rmn_V", name: "VIP 用", status: "published" })] },
      "GET /api/tags": { folders: [], tags: [{ tag_id: "t_vip", name: "VIP" }] },
      "GET /api/segments": { segments: [] },
      "GET /api/scenarios": { items: [{ id: "sc_1", name: "ステップ", steps: [{ id: "d1", name: "1 日目" }, { id: "d2", name: "2 日目" }] }] },
      "GET /api/inflow-routes": { items: [{ route_id: "rt_ig", name: "Instagram" }] },
      "PUT /api/rich-menu-rules": (body: unknown) => ({ ...(body as object), job: job({ status: "queued" }) }),
      "GET /api/rich-menu-rules/jobs/job_1": () => {
        polls += 1;
        return polls < 2 ? job({ done: 500, calls: 1, linked: 500 }) : job({ status: "done", done: 1000, calls: 2, linked: 1000 });
      },
    });
    render(withApp(api, <RulesView channelId={CH} pollMs={5} />));
    fireEvent.click(await screen.findByTestId("rm-rule-add"));
    fireEvent.click(screen.getByTestId("rm-rule-add"));
    const rules = screen.getAllByTestId("rm-rule");
    await waitFor(() => expect(rules[0]!.querySelectorAll("select[name='rules[0].condition.tag_id'] option").length).toBe(2));
    fireEvent.change(rules[0]!.querySelector("select[name='rules[0].condition.tag_id']")!, { target: { value: "t_vip" } });
    fireEvent.change(rules[0]!.querySelector("select[name='rules[0].menu_id']")!, { target: { value: "rmn_V" } });
    fireEvent.change(rules[1]!.querySelector("select[name='rules[1].condition.type']")!, { target: { value: "scenario_step" } });
    fireEvent.change(rules[1]!.querySelector("select[name='rules[1].condition.scenario_id']")!, { target: { value: "sc_1" } });
    fireEvent.change(rules[1]!.querySelector("select[name='rules[1].condition.step_index']")!, { target: { value: "1" } });
    fireEvent.change(rules[1]!.querySelector("select[name='rules[1].menu_id']")!, { target: { value: "rmn_A" } });
    fireEvent.click(screen.getByRole("button", { name: "ルール 2 を上へ" }));
    fireEvent.click(screen.getByTestId("rm-rules-save"));
    await waitFor(() => expect(screen.getByTestId("rm-job").getAttribute("data-status")).toBe("done"));
    expect(screen.getByTestId("rm-job-text").textContent).toBe("1,000 / 1,000 人 (100%) · 完了");
    expect(screen.getByTestId("rm-job-calls").textContent).toBe("LINE API 呼び出し 2 回 / メニュー設定 1,000 人 / 解除 0 人");
    expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("100");
    const put = api.calls.find((c) => c.startsWith("PUT"))!;
    expect(JSON.parse(put.slice(put.indexOf("{")))).toEqual({
      channel_id: CH,
      default_menu_id: "rmn_A",
      rules: [
        { menu_id: "rmn_A", condition: { type: "scenario_step", scenario_id: "sc_1", step_index: 1 } },
        { menu_id: "rmn_V", condition: { type: "tag", tag_id: "t_vip" } },
      ],
    });
    expect(polls).toBe(2);
  });

  it("refuses a rule without its menu before calling the API", async () => {
    const api = fakeApi({
      "GET /api/rich-menu-rules": { channel_id: CH, default_menu_id: null, rules: [], job: null },
      "GET /api/rich-menus": { items: [] },
      "GET /api/tags": { folders: [], tags: [] },
      "GET /api/segments": { segments: [] },
      "GET /api/scenarios": { items: [] },
      "GET /api/inflow-routes": { items: [] },
    });
    render(withApp(api, <RulesView channelId={CH} pollMs={5} />));
    fireEvent.click(await screen.findByTestId("rm-rule-add"));
    fireEvent.click(screen.getByTestId("rm-rules-save"));
    await waitFor(() => expect(document.querySelector("[data-field-error='rules[0].menu_id']")?.textContent).toBe("ルール 1: 表示するメニューを選んでください。"));
    expect(api.calls.some((c) => c.startsWith("PUT"))).toBe(false);
  });
});

describe("tap analytics and the friend page", () => {
  freshPageEachTest();

  it("shows taps per area on the table and the image, the totals, and the note when LINE has no insight", async () => {
    const m = menu();
    const api = fakeApi({
      "GET /api/rich-menus/rmn_01A/stats": { since: "2026-11-08", until: "2026-12-07", areas: [{ index: 0, label: "セール", taps: 1234, unique: 800 }, { index: 1, label: "予約", taps: 5, unique: 5 }], total: 1239, unique: 803, line_insight: null },
    });
    render(withApp(api, <StatsView menu={m} />));
    expect((await screen.findByTestId("rm-stats-total")).textContent).toBe("1,239");
    expect(screen.getByTestId("rm-stats-unique").textContent).toBe("803");
    expect(screen.getAllByTestId("rm-stats-row").map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent))).toEqual([
      ["エリア 1", "セール", "1,234", "800"],
      ["エリア 2", "予約", "5", "5"],
    ]);
    expect(screen.getAllByTestId("rm-area-count").map((x) => x.textContent)).toEqual(["1,234", "5"]);
    expect(screen.getByTestId("rm-insight-none").textContent).toContain("LINE の統計はこの期間にはありません");
    // the first request names no range: the API's clock picks the last 30 Japan days, and the inputs show them
    expect(api.calls[0]).toBe("GET /api/rich-menus/rmn_01A/stats");
    expect((screen.getByLabelText("開始日") as HTMLInputElement).value).toBe("2026-11-08");
    expect((screen.getByLabelText("終了日") as HTMLInputElement).value).toBe("2026-12-07");
    fireEvent.input(screen.getByLabelText("開始日"), { target: { value: "2026-01-01" } });
    await waitFor(() => expect(api.calls.at(-1)).toBe("GET /api/rich-menus/rmn_01A/stats?since=2026-01-01&until=2026-12-07"));
  });

  it("shows a dash, not 0, where Haishin does not measure (message areas; unique friends of a tracked URL) and LINE's note", async () => {
    const m = menu();
    const api = fakeApi({
      "GET /api/rich-menus/rmn_01A/stats": {
        areas: [
          { index: 0, label: "セール", action: "uri", taps: 7, unique: 0, taps_measured: true, unique_measured: false },
          { index: 1, label: "予約", action: "message", taps: 0, unique: 0, taps_measured: false, unique_measured: false },
        ],
        total: 7,
        unique: 0,
        line_insight: null,
        line_insight_note: "下書きのメニューには LINE の統計がありません",
      },
    });
    render(withApp(api, <StatsView menu={m} />));
    await screen.findByTestId("rm-stats-total");
    expect(screen.getAllByTestId("rm-stats-row").map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent))).toEqual([
      ["エリア 1", "セール", "7", "—"],
      ["エリア 2", "予約", "—", "—"],
    ]);
    expect(screen.getAllByTestId("rm-not-measured")[0]!.getAttribute("title")).toContain("Haishin では計測していません");
    expect(screen.getAllByTestId("rm-area-count").map((x) => x.textContent)).toEqual(["7", "—"]);
    expect(screen.getByTestId("rm-insight-note").textContent).toBe("下書きのメニューには LINE の統計がありません");
  });

  it("shows the friend's current menu and why", async () => {
    expect(reasonText("rule 2")).toBe("ルール 2 に当てはまる");
    expect(reasonText("default")).toBe("デフォルトのメニュー");
    const api = fakeApi({ "GET /api/subscribers/s_1/rich-menu": { menu_id: "rmn_01A", reason: "rule 1" }, "GET /api/rich-menus/rmn_01A": menu() });
    render(withApp(api, <FriendRichMenu id="s_1" />));
    await waitFor(() => expect(screen.getByTestId("friend-rich-menu-link").textContent).toBe("メイン"));
    expect(screen.getByTestId("friend-rich-menu").textContent).toContain("ルール 1 に当てはまる");
  });
});

describe("a refused save", () => {
  freshPageEachTest("#/rich-menus/rmn_01A");

  it("opens the area the API names and shows the message at its field", async () => {
    const api = fakeApi({
      ...BASE,
      "GET /api/rich-menus/rmn_01A": menu({ areas: [...menu().areas.slice(0, 1), { ...menu().areas[1]!, action: { type: "uri", uri: "https://x.example/a", track: false } }] }),
      "PUT /api/rich-menus/rmn_01A": new ApiError({ status: 422, code: "validation_failed", message: "エリア 2 の URL に接続できません。", where: "areas[1].action.uri" }),
    });
    render(withApp(api, <RichMenusScreen />));
    await screen.findByTestId("rm-status");
    expect((screen.getByTestId("rm-action-type") as HTMLSelectElement).value).toBe("message");
    fireEvent.click(screen.getByTestId("rm-save"));
    await waitFor(() => expect(document.querySelector("[data-field-error='areas[1].action.uri']")?.textContent).toBe("エリア 2 の URL に接続できません。"));
    expect((screen.getByLabelText(/^開く URL/) as HTMLInputElement).value).toBe("https://x.example/a");
  });
});
