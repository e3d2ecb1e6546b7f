import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import FunnelsScreen from "./FunnelsScreen";

const FUNNEL = { funnel_id: "fnl_1", name: "無料講座", status: "published", scenario_id: "", created_at: "2026-01-01T00:00:00+00:00", pages: [], urls: {} };
const ASSET = { asset_id: "ast_1", kind: "image", name: "講師.png", content_type: "image/png", size: 11, width: 800, height: 600, url: "http://localhost/a/ws/ast_1" };

describe("funnel builder: an image block's uploaded image", () => {
  freshPageEachTest();

  it("uploads the image and saves the block with its asset and size, no URL", async () => {
    location.hash = "#/funnels/new";
    const api = fakeApi({ "POST /api/assets": ASSET, "POST /api/funnels": FUNNEL });
    render(withApp(api, <FunnelsScreen />));
    fireEvent.input(screen.getByLabelText("ファネル名"), { target: { value: "無料講座" } });
    fireEvent.input(screen.getByTestId("funnel-page-title"), { target: { value: "3日で学ぶ" } });
    fireEvent.change(screen.getByTestId("funnel-block-type"), { target: { value: "image" } });
    fireEvent.click(screen.getByTestId("funnel-block-add"));
    fireEvent.input(screen.getByTestId("funnel-alt"), { target: { value: "講師の写真" } });
    const input = screen.getByTestId("funnel-image-upload") as HTMLInputElement;
    Object.defineProperty(input, "files", { value: [new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], "講師.png")], configurable: true });
    fireEvent.change(input);
    expect((await screen.findByTestId("funnel-image-asset")).textContent).toContain("アップロード済み: ast_1");
    fireEvent.click(screen.getByTestId("funnel-save"));
    await waitFor(() => expect(location.hash).toBe("#/funnels/fnl_1"));
    const saved = JSON.parse(api.calls[1]!.slice("POST /api/funnels ".length));
    expect(saved.pages[0].blocks).toEqual([{ type: "image", url: "", alt: "講師の写真", asset_id: "ast_1", width: 800, height: 600 }]);
  });
});
