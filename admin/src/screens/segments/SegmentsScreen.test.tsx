import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import type { Condition } from "../../components/SegmentBuilder";
import { fakeApi, freshPageEachTest, typeSaveAndExpectErrorAtField, withApp } from "../../testing/app";
import { SaveSegmentPanel } from "./SaveSegmentPanel";
import SegmentsScreen from "./SegmentsScreen";

const VIP: Condition = { type: "tags", match: "any", tags: ["tag_vip"] };
const SEG = { segment_id: "seg1", name: "VIP 会員", definition: { match: "all", conditions: [VIP] }, created_at: "2026-01-01T00:00:00+00:00", updated_at: "2026-01-01T00:00:00+00:00" };
const REFS = { "GET /api/tags": { tags: [{ tag_id: "tag_vip", name: "VIP" }] }, "GET /api/fields": { fields: [] }, "GET /api/scenarios": { items: [] }, "GET /api/forms": { items: [] }, "GET /api/products": { items: [] }, "GET /api/lists": { lists: [] }, "GET /api/channels": { channels: [] }, "POST /api/segments/count": { count: 12 } };

describe("saved segments", () => {
  freshPageEachTest();

  it("lists each segment with its live count and a way to send to it", async () => {
    location.hash = "#/segments";
    const api = fakeApi({ "GET /api/segments": { segments: [SEG] }, "GET /api/segments/seg1/count": { count: 1234 } });
    render(withApp(api, <SegmentsScreen />));
    await screen.findByTestId("segment-list");
    await waitFor(() => expect(screen.getByTestId("segment-live-count").textContent).toBe("1,234 人"));
    expect(screen.getByTestId("segment-send").getAttribute("href")).toBe("#/broadcasts/new?segment=seg1");
  });

  it("a refused save keeps the name and shows the message at the field", async () => {
    location.hash = "#/segments/new";
    const api = fakeApi({ ...REFS, "POST /api/segments": new ApiError({ status: 422, code: "validation_failed", message: "名前は 100 文字までです", where: "name" }) });
    render(withApp(api, <SegmentsScreen />));
    const name = screen.getByLabelText("セグメント名") as HTMLInputElement;
    await typeSaveAndExpectErrorAtField(name, "VIP", "segment-save", "名前は 100 文字までです");
    expect(location.hash).toBe("#/segments/new");
  });

  it("edits a segment with PUT and deletes it only after the confirm", async () => {
    location.hash = "#/segments/seg1";
    const api = fakeApi({ ...REFS, "GET /api/segments/seg1": SEG, "PUT /api/segments/seg1": SEG, "DELETE /api/segments/seg1": undefined });
    render(withApp(api, <SegmentsScreen />));
    fireEvent.input(await screen.findByLabelText("セグメント名"), { target: { value: "VIP 会員(新)" } });
    fireEvent.click(screen.getByTestId("segment-save"));
    await waitFor(() => expect(location.hash).toBe("#/segments"));
    expect(api.calls).toContain(`PUT /api/segments/seg1 ${JSON.stringify({ name: "VIP 会員(新)", definition: SEG.definition })}`);

    location.hash = "#/segments/seg1";
    render(withApp(api, <SegmentsScreen />));
    fireEvent.click(await screen.findByTestId("segment-delete"));
    expect(api.calls.some((c) => c.startsWith("DELETE"))).toBe(false);
    fireEvent.click(screen.getByTestId("segment-delete-confirm"));
    await waitFor(() => expect(api.calls).toContain("DELETE /api/segments/seg1"));
  });

  it("saves the friends filter as a named segment, the error at the name", async () => {
    let refused = true;
    const api = fakeApi({
      "POST /api/segments": () => (refused ? new ApiError({ status: 422, code: "validation_failed", message: "名前を入力してください", where: "name" }) : { segment_id: "seg2", name: "VIP" }),
    });
    render(withApp(api, <SaveSegmentPanel segment={{ match: "all", conditions: [VIP, { type: "scenario", scenario_id: "", status: "enrolled" }] }} />));
    fireEvent.click(screen.getByTestId("save-segment-open"));
    fireEvent.click(screen.getByTestId("save-segment-save"));
    const name = screen.getByLabelText("セグメント名") as HTMLInputElement;
    await waitFor(() => expect(name.getAttribute("aria-invalid")).toBe("true"));
    expect(document.querySelector("[data-field-error=name]")!.textContent).toBe("名前を入力してください");
    refused = false;
    fireEvent.input(name, { target: { value: "VIP" } });
    fireEvent.click(screen.getByTestId("save-segment-save"));
    await screen.findByTestId("save-segment-done");
    // the incomplete condition is left out, as in the count
    expect(api.calls.at(-1)).toBe(`POST /api/segments ${JSON.stringify({ name: "VIP", definition: { match: "all", conditions: [VIP] } })}`);
  });
});
