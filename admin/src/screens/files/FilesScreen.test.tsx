import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import FilesScreen from "./FilesScreen";

const IMAGE = { asset_id: "ast_img", kind: "image", name: "講師.png", content_type: "image/png", size: 2048, width: 640, height: 480, url: "http://localhost/a/ws/ast_img", created_at: "2026-12-01T01:00:00+00:00" };
const PDF = { asset_id: "ast_pdf", kind: "attachment", name: "資料.pdf", content_type: "application/pdf", size: 3 << 20, width: null, height: null, url: null, created_at: "2026-11-30T01:00:00+00:00" };
const NEW = { ...IMAGE, asset_id: "ast_new", name: "新しい写真.png", url: "http://localhost/a/ws/ast_new" };

function choose(testId: string, file: File) {
  const input = screen.getByTestId(testId) as HTMLInputElement;
  Object.defineProperty(input, "files", { value: [file], configurable: true });
  fireEvent.change(input);
}

describe("file library (ファイル)", () => {
  freshPageEachTest("#/files");

  it("lists the uploads: an image's thumbnail from its public URL, name, kind, size; an attachment has no preview", async () => {
    render(withApp(fakeApi({ "GET /api/assets": { items: [IMAGE, PDF] } }), <FilesScreen />));
    await screen.findByTestId("files-list");
    const rows = screen.getAllByTestId("files-row");
    expect(rows.map((r) => r.getAttribute("data-asset"))).toEqual(["ast_img", "ast_pdf"]);
    const thumb = screen.getByTestId("files-thumb") as HTMLImageElement;
    expect(thumb.getAttribute("src")).toBe("http://localhost/a/ws/ast_img");
    expect(thumb.getAttribute("alt")).toBe("講師.png");
    expect(rows[0]!.textContent).toContain("画像");
    expect(rows[0]!.textContent).toContain("2 KB");
    expect(rows[1]!.textContent).toContain("添付ファイル");
    expect(rows[1]!.textContent).toContain("3.0 MB");
    expect(rows[1]!.querySelector("img")).toBeNull();
  });

  it("an empty library says so, and an upload from the screen lists the new file", async () => {
    let items: unknown[] = [];
    const api = fakeApi({ "GET /api/assets": () => ({ items }), "POST /api/assets": () => ((items = [NEW]), NEW) });
    render(withApp(api, <FilesScreen />));
    await screen.findByTestId("list-empty");
    choose("files-upload-image", new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], "新しい写真.png"));
    expect((await screen.findByTestId("files-name")).textContent).toBe("新しい写真.png");
    expect(api.calls.filter((c) => c.startsWith("POST /api/assets"))[0]).toContain('"kind":"image","name":"新しい写真.png"');
  });

  it("deletes only after the confirm, then the file is gone from the list", async () => {
    let items: unknown[] = [IMAGE, PDF];
    const api = fakeApi({ "GET /api/assets": () => ({ items }), "DELETE /api/assets/ast_pdf": () => ((items = [IMAGE]), undefined) });
    render(withApp(api, <FilesScreen />));
    await screen.findByTestId("files-list");
    fireEvent.click(screen.getAllByTestId("files-delete")[1]!);
    expect(api.calls.some((c) => c.startsWith("DELETE"))).toBe(false);
    expect(screen.getByText("「資料.pdf」を削除しますか？")).toBeTruthy();
    fireEvent.click(screen.getByTestId("files-delete-confirm"));
    await waitFor(() => expect(screen.getAllByTestId("files-row")).toHaveLength(1));
    expect(api.calls).toContain("DELETE /api/assets/ast_pdf");
  });

  it("a file still in use: the API's refusal naming the funnel is shown and the file stays listed", async () => {
    const refusal = "「講師.png」は使われているため削除できません（ファネル「春の講座」のページ「無料講座」）。先にそこから外してください";
    const api = fakeApi({
      "GET /api/assets": { items: [IMAGE, PDF] },
      "DELETE /api/assets/ast_img": new ApiError({ status: 409, code: "in_use", message: refusal, where: "asset ast_img" }),
    });
    render(withApp(api, <FilesScreen />));
    await screen.findByTestId("files-list");
    fireEvent.click(screen.getAllByTestId("files-delete")[0]!);
    fireEvent.click(screen.getByTestId("files-delete-confirm"));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain(refusal);
    expect(alert.textContent).toContain("使われているため削除できません");
    expect(alert.getAttribute("data-error-code")).toBe("in_use");
    expect(alert.closest("[data-testid='files-delete-error']")).toBeTruthy();
    expect(screen.getAllByTestId("files-row")).toHaveLength(2);
  });
});
