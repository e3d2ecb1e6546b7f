import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, typeSaveAndExpectErrorAtField, withApp } from "../../testing/app";
import { AddFriend } from "./AddFriend";
import { ImportDetail, ImportHistory, type ImportJob } from "./ImportHistory";
import { ImportPanel, INLINE_MAX } from "./ImportPanel";
import { MergeFriend } from "./MergeFriend";

const JOB: ImportJob = {
  import_id: "imp_1", status: "completed", filename: "顧客.csv", total: 3, processed: 3, created: 1, updated: 1, skipped: 0, errors: 1,
  message: null, created_at: "2026-11-01T01:00:00+00:00", finished_at: "2026-11-01T01:00:05+00:00",
};

describe("friends: add by hand, import history", () => {
  freshPageEachTest("#/friends/new");

  it("adds an e-mail-only friend: a malformed address is shown at the field, then the friend's page", async () => {
    let refuse = true;
    const api = fakeApi({
      "POST /api/subscribers": (body: unknown) =>
        refuse ? new ApiError({ status: 422, code: "validation_error", message: "「x」はメールアドレスの形式ではありません。", where: "email" }) : { subscriber_id: "sub_9", ...(body as object) },
    });
    render(withApp(api, <AddFriend />));
    fireEvent.input(document.querySelector("input[name=display_name]")!, { target: { value: "メールだけの人" } });
    const email = document.querySelector("input[name=email]") as HTMLInputElement;
    await typeSaveAndExpectErrorAtField(email, "x", "friend-add-save", "「x」はメールアドレスの形式ではありません。");
    expect(api.calls[0]).toBe('POST /api/subscribers {"display_name":"メールだけの人","email":"x"}');
    refuse = false;
    fireEvent.input(email, { target: { value: "only@example.jp" } });
    fireEvent.click(screen.getByTestId("friend-add-save"));
    await waitFor(() => expect(location.hash).toBe("#/friends/sub_9"));
  });

  it("lists past imports and opens one with its row errors", async () => {
    const api = fakeApi({
      "GET /api/imports": { imports: [JOB] },
      "GET /api/imports/imp_1": JOB,
      "GET /api/imports/imp_1/errors": { errors: [{ line: 3, column: "email", reason: "メールアドレスの形式ではありません" }] },
    });
    const { unmount } = render(withApp(api, <ImportHistory />));
    const row = await screen.findByTestId("import-row");
    expect(row.getAttribute("data-status")).toBe("completed");
    expect(row.textContent).toContain("顧客.csv");
    expect(row.querySelector("a")!.getAttribute("href")).toBe("#/friends/imports/imp_1");
    unmount();
    render(withApp(api, <ImportDetail id="imp_1" />));
    expect((await screen.findByTestId("import-detail-counts")).textContent).toBe("1 / 1 / 0 / 1");
    const errors = await screen.findByTestId("import-detail-errors");
    expect(errors.textContent).toContain("メールアドレスの形式ではありません");
  });

  it("an empty history says so and offers a new import", async () => {
    render(withApp(fakeApi({ "GET /api/imports": { imports: [] } }), <ImportHistory />));
    await screen.findByTestId("list-empty");
    expect(screen.getByTestId("imports-new").getAttribute("href")).toBe("#/friends/import");
  });

  it("a file over 4 MB goes through a presigned S3 PUT (POST /api/imports/upload-url), a small one inline", async () => {
    const api = fakeApi({
      "GET /api/fields": { fields: [] },
      "GET /api/channels": { channels: [] },
      "POST /api/imports/upload-url": { upload_url: "https://s3.example/put?sig", s3_key: "imports/ws/upl_1.csv", expires_in: 900 },
      "POST /api/imports": { ...JOB, status: "uploaded", header: ["email"], options: null, encoding: "utf-8" },
    });
    const put = vi.fn(async () => new Response(null, { status: 200 }));
    vi.stubGlobal("fetch", put);
    try {
      render(withApp(api, <ImportPanel />));
      const input = screen.getByTestId("import-file") as HTMLInputElement;
      const big = new File([new Uint8Array(INLINE_MAX + 1)], "big.csv", { type: "text/csv" });
      fireEvent.change(input, { target: { files: [big] } });
      await screen.findByTestId("import-file-info");
      expect(put).toHaveBeenCalledWith("https://s3.example/put?sig", expect.objectContaining({ method: "PUT", body: big }));
      expect(api.calls.at(-1)).toBe('POST /api/imports {"filename":"big.csv","s3_key":"imports/ws/upl_1.csv"}');
      fireEvent.change(input, { target: { files: [new File(["email\na@example.jp\n"], "small.csv")] } });
      await waitFor(() => expect(api.calls.at(-1)).toContain('"base64":'));
      expect(put).toHaveBeenCalledTimes(1);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("merges another friend into this one only after the confirm; a refusal is shown at the picker", async () => {
    let refuse = true;
    const api = fakeApi({
      "GET /api/subscribers/sub_1": { subscriber_id: "sub_1", display_name: "佐藤", email: null },
      "GET /api/subscribers": { items: [{ subscriber_id: "sub_1", display_name: "佐藤", email: null }, { subscriber_id: "sub_2", display_name: null, email: "sato@example.jp" }] },
      "POST /api/subscribers/sub_1/merge": () =>
        refuse ? new ApiError({ status: 409, code: "conflict", message: "友だち sub_2 はすでに sub_3 に統合されています。", where: "loser_id" }) : { subscriber_id: "sub_1" },
    });
    render(withApp(api, <MergeFriend id="sub_1" />));
    await screen.findByTestId("friend-merge");
    const picker = screen.getByTestId("friend-merge-friend") as HTMLSelectElement;
    await waitFor(() => expect([...picker.options].map((o) => o.value)).toEqual(["", "sub_2"])); // not the friend itself
    fireEvent.change(picker, { target: { value: "sub_2" } });
    fireEvent.click(screen.getByTestId("friend-merge-run"));
    expect(api.calls.some((c) => c.startsWith("POST"))).toBe(false);
    fireEvent.click(screen.getByTestId("friend-merge-run-confirm"));
    await waitFor(() => expect(document.querySelector("[data-field-error=loser_id]")?.textContent).toBe("友だち sub_2 はすでに sub_3 に統合されています。"));
    refuse = false;
    fireEvent.click(screen.getByTestId("friend-merge-run"));
    fireEvent.click(screen.getByTestId("friend-merge-run-confirm"));
    await waitFor(() => expect(location.hash).toBe("#/friends/sub_1"));
    expect(api.calls.at(-1)).toBe('POST /api/subscribers/sub_1/merge {"loser_id":"sub_2"}');
  });
});
