import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../api";
import { setLang } from "../i18n";
import { fakeApi, freshPageEachTest, withApp } from "../testing/app";
import { AssetUpload, type UploadedAsset, assetProblem } from "./AssetUpload";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const ASSET: UploadedAsset = { asset_id: "ast_1", kind: "image", name: "講師.png", content_type: "image/png", size: 11, width: 640, height: 480, url: "http://localhost/a/ws/ast_1" };

function choose(input: HTMLInputElement, file: File) {
  Object.defineProperty(input, "files", { value: [file], configurable: true });
  fireEvent.change(input);
}

describe("asset upload (画像・添付ファイル)", () => {
  freshPageEachTest();

  it("states the size caps in Japanese first and English second", () => {
    expect(assetProblem("image", 3 << 20)).toBe("ファイルが大きすぎます (3.0 MB、上限 2.0 MB)");
    expect(assetProblem("attachment", 3 << 20)).toBeNull();
    expect(assetProblem("attachment", 0)).toBe("ファイルが空です");
    setLang("en");
    expect(assetProblem("attachment", 5 << 20)).toBe("The file is too large (5.0 MB; the limit is 4.0 MB)");
  });

  it("posts the file as base64 and hands the stored asset on", async () => {
    const api = fakeApi({ "POST /api/assets": ASSET });
    const got: UploadedAsset[] = [];
    render(withApp(api, <AssetUpload kind="image" name="pages.0.blocks.0.asset_id" testId="up" onUploaded={(a) => got.push(a)} />));
    choose(screen.getByTestId("up") as HTMLInputElement, new File([PNG], "講師.png", { type: "image/png" }));
    await waitFor(() => expect(got).toEqual([ASSET]));
    const body = JSON.parse(api.calls[0]!.slice("POST /api/assets ".length));
    expect(body).toEqual({ kind: "image", name: "講師.png", base64: btoa(String.fromCharCode(...PNG)) });
  });

  it("refuses a too large file before sending it, and shows the API's refusal at the field", async () => {
    const api = fakeApi({ "POST /api/assets": new ApiError({ status: 422, code: "validation_failed", message: "このファイルは使えません。PNG・JPEG・WebP・GIF の画像を選んでください", where: "file" }) });
    render(withApp(api, <AssetUpload kind="image" name="img" testId="up" onUploaded={() => undefined} />));
    const input = screen.getByTestId("up") as HTMLInputElement;
    choose(input, new File([new Uint8Array((2 << 20) + 1)], "big.png"));
    expect((await screen.findByText(/ファイルが大きすぎます/)).className).toBe("field__error");
    expect(api.calls).toEqual([]);
    choose(input, new File(["<html>"], "evil.png"));
    expect(await screen.findByText(/PNG・JPEG・WebP・GIF の画像を選んでください/)).toBeTruthy();
    expect(input.getAttribute("aria-invalid")).toBe("true");
  });
});
