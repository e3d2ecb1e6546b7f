import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../api";
import { t } from "../i18n";
import { fieldErrors } from "../lib/problems";
import { useForm } from "../lib/useForm";
import { fakeApi, withApp, freshPageEachTest, typeSaveAndExpectErrorAtField } from "../testing/app";
import { useApp } from "../context";
import { TextField } from "./Field";
import { EditorShell, ListScreen, Loaded, type ResourceKind, useApiList, useApiPages } from "./ResourceScreen";

const TAGS: ResourceKind = { path: "/tags", title: "nav.friends", newLabel: "fm.new", testId: "tag" };
interface Tag {
  id: string;
  name: string;
}

function TagList() {
  const list = useApiList<Tag>("/api/tags");
  return (
    <ListScreen kind={TAGS} list={list} empty="タグはまだありません">
      {(rows) => (
        <ul data-testid="tag-list">
          {rows.map((r) => (
            <li key={r.id}>{r.name}</li>
          ))}
        </ul>
      )}
    </ListScreen>
  );
}

function TagEditor({ id, initial }: { id: string | null; initial: Tag | null }) {
  const { api } = useApp();
  const form = useForm({ name: initial?.name ?? "" }, `tag.${id ?? "new"}`);
  const err = fieldErrors(form.error);
  return (
    <EditorShell
      kind={TAGS}
      id={id}
      name={form.values.name}
      form={form}
      save={(v) => (id ? api.put(`/api/tags/${id}`, v) : api.post("/api/tags", v))}
      remove={id ? { label: "削除", question: "このタグを削除しますか?", run: () => api.delete(`/api/tags/${id}`), testId: "tag-delete" } : undefined}
    >
      <TextField label="タグ名" name="name" value={form.values.name} error={err.at("name")} onValue={(x) => form.set("name", x)} />
    </EditorShell>
  );
}

const invalidName = new ApiError({ status: 422, code: "validation_failed", message: "タグ名は 30 文字までです", where: "name" });

describe("<ListScreen>", () => {
  freshPageEachTest();

  it("shows loading, then the rows, with the new button in the header", async () => {
    const api = fakeApi({ "GET /api/tags": { items: [{ id: "t1", name: "VIP" }] } });
    render(withApp(api, <TagList />));
    expect(screen.getByText("読み込み中…")).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId("tag-list").textContent).toBe("VIP"));
    expect(screen.getByTestId("tag-new").getAttribute("href")).toBe("#/tags/new");
    expect(screen.queryByTestId("list-empty")).toBeNull();
  });

  it("shows the empty state with a way to create the first one", async () => {
    const api = fakeApi({ "GET /api/tags": { items: [] } });
    render(withApp(api, <TagList />));
    const empty = await screen.findByTestId("list-empty");
    expect(empty.textContent).toContain("タグはまだありません");
    expect(empty.querySelector("a")?.getAttribute("href")).toBe("#/tags/new");
  });

  it("shows a failed load in place and loads again on retry", async () => {
    let n = 0;
    const api = fakeApi({ "GET /api/tags": () => (n++ === 0 ? new ApiError({ status: 503, code: "server_error", message: "down" }) : { items: [{ id: "t1", name: "VIP" }] }) });
    render(withApp(api, <TagList />));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("down");
    fireEvent.click(screen.getByText("再試行"));
    await waitFor(() => expect(screen.getByTestId("tag-list").textContent).toBe("VIP"));
    expect(screen.queryByRole("alert")).toBeNull();
    expect(api.calls).toEqual(["GET /api/tags", "GET /api/tags"]);
  });
});

describe("<EditorShell>", () => {
  freshPageEachTest("#/tags/new");

  it("keeps the draft after a failed save and shows the error at the field", async () => {
    const api = fakeApi({ "POST /api/tags": invalidName });
    render(withApp(api, <TagEditor id={null} initial={null} />));
    const input = screen.getByLabelText("タグ名") as HTMLInputElement;
    // the value stays in the form, the input is invalid and the message is under it
    await typeSaveAndExpectErrorAtField(input, "とても長いタグ名".repeat(5), "tag-save", "タグ名は 30 文字までです");
    expect(input.closest("label")!.querySelector("[data-field-error=name]")).toBeTruthy();
    // ... and in the session draft (a reload or a re-login brings it back)
    expect(JSON.parse(sessionStorage.getItem("haishin.draft.tag.new")!).name).toBe("とても長いタグ名".repeat(5));
    expect(location.hash).toBe("#/tags/new");
  });

  it("goes back to the list after a successful save and forgets the draft", async () => {
    const api = fakeApi({ "POST /api/tags": (b: unknown) => ({ id: "t9", ...(b as object) }) });
    render(withApp(api, <TagEditor id={null} initial={null} />));
    fireEvent.input(screen.getByLabelText("タグ名"), { target: { value: "VIP" } });
    fireEvent.click(screen.getByTestId("tag-save"));
    await waitFor(() => expect(location.hash).toBe("#/tags"));
    expect(api.calls).toEqual(['POST /api/tags {"name":"VIP"}']);
    expect(sessionStorage.getItem("haishin.draft.tag.new")).toBeNull();
  });

  it("titles a new item by the new label and an existing one by its name", () => {
    const api = fakeApi({});
    render(withApp(api, <TagEditor id="t1" initial={{ id: "t1", name: "VIP" }} />));
    expect(screen.getByRole("heading").textContent).toBe("VIP");
    cleanup();
    render(withApp(api, <TagEditor id={null} initial={null} />));
    expect(screen.getByRole("heading").textContent).toBe(t("fm.new"));
  });

  it("deletes only after the confirm, then goes back to the list", async () => {
    location.hash = "#/tags/t1";
    const api = fakeApi({ "DELETE /api/tags/t1": undefined });
    render(withApp(api, <TagEditor id="t1" initial={{ id: "t1", name: "VIP" }} />));
    fireEvent.click(screen.getByTestId("tag-delete"));
    expect(api.calls).toEqual([]);
    expect(screen.getByText("このタグを削除しますか?")).toBeTruthy();
    fireEvent.click(screen.getByText("キャンセル"));
    expect(api.calls).toEqual([]);
    fireEvent.click(screen.getByTestId("tag-delete"));
    fireEvent.click(screen.getByTestId("tag-delete-confirm"));
    await waitFor(() => expect(location.hash).toBe("#/tags"));
    expect(api.calls).toEqual(["DELETE /api/tags/t1"]);
  });

  it("shows a failed delete in place and stays on the item", async () => {
    location.hash = "#/tags/t1";
    const api = fakeApi({ "DELETE /api/tags/t1": new ApiError({ status: 409, code: "conflict", message: "使用中のタグです" }) });
    render(withApp(api, <TagEditor id="t1" initial={{ id: "t1", name: "VIP" }} />));
    fireEvent.click(screen.getByTestId("tag-delete"));
    fireEvent.click(screen.getByTestId("tag-delete-confirm"));
    expect((await screen.findByRole("alert")).textContent).toContain("使用中のタグです");
    expect(location.hash).toBe("#/tags/t1");
  });
});

describe("<Loaded>", () => {
  freshPageEachTest();

  it("renders a new item at once, without asking the API", () => {
    const api = fakeApi({});
    render(withApp(api, <Loaded<Tag> path={null}>{(tag) => <p>{tag === null ? "new" : tag.name}</p>}</Loaded>));
    expect(screen.getByText("new")).toBeTruthy();
    expect(api.calls).toEqual([]);
  });

  it("loads an item, and offers a retry when that fails", async () => {
    let n = 0;
    const api = fakeApi({ "GET /api/tags/t1": () => (n++ === 0 ? new ApiError({ status: 404, code: "not_found", message: "ありません" }) : { id: "t1", name: "VIP" }) });
    render(withApp(api, <Loaded<Tag> path="/api/tags/t1">{(tag) => <p>{tag!.name}</p>}</Loaded>));
    expect(screen.getByText("読み込み中…")).toBeTruthy();
    await screen.findByRole("alert");
    fireEvent.click(screen.getByText("再試行"));
    expect(await screen.findByText("VIP")).toBeTruthy();
  });
});

function PagedTags() {
  const list = useApiPages<Tag>("/api/tags", { limit: 2 });
  return (
    <ListScreen kind={TAGS} creates={false} list={list} empty="なし">
      {(rows) => <p data-testid="names">{rows.map((r) => r.name).join(",")}</p>}
    </ListScreen>
  );
}

describe("useApiPages", () => {
  freshPageEachTest();

  it("loads the next page on 'more' (cursor or next_cursor) and hides it after the last page", async () => {
    const pages: Record<string, unknown> = {
      "": { items: [{ id: "a", name: "A" }, { id: "b", name: "B" }], cursor: "c1" },
      c1: { items: [{ id: "c", name: "C" }], next_cursor: "c2" },
      c2: { items: [], cursor: null },
    };
    const api = fakeApi({ "GET /api/tags": undefined });
    (api.get as unknown as { mockImplementation: (f: unknown) => void }).mockImplementation(async (path: string, o?: { query?: { cursor?: string; limit?: number } }) => {
      api.calls.push(`GET ${path} cursor=${o?.query?.cursor ?? ""} limit=${o?.query?.limit}`);
      return pages[o?.query?.cursor ?? ""];
    });
    render(withApp(api, <PagedTags />));
    await waitFor(() => expect(screen.getByTestId("names").textContent).toBe("A,B"));
    fireEvent.click(screen.getByTestId("list-more"));
    await waitFor(() => expect(screen.getByTestId("names").textContent).toBe("A,B,C"));
    fireEvent.click(screen.getByTestId("list-more"));
    await waitFor(() => expect(screen.queryByTestId("list-more")).toBeNull());
    expect(screen.getByTestId("names").textContent).toBe("A,B,C");
    expect(api.calls).toEqual(["GET /api/tags cursor= limit=2", "GET /api/tags cursor=c1 limit=2", "GET /api/tags cursor=c2 limit=2"]);
  });
});
