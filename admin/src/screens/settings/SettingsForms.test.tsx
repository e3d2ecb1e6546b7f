import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, typeSaveAndExpectErrorAtField, withApp } from "../../testing/app";
import AuditLogScreen from "./AuditLogScreen";
import { OptOutKeywordSettings, toList } from "./OptOutKeywords";
import { WorkspaceSettings } from "./WorkspaceForm";

const WS = { name: "渋谷店", time_zone: "Asia/Tokyo", quiet_hours_start: null, quiet_hours_end: null, frequency_cap_per_day: 3, quota_policy: "refuse" };

describe("settings cards on the shared fields", () => {
  freshPageEachTest();

  it("workspace: the API's refusal shows at the field, the typed name stays, then saved", async () => {
    let refuse = true;
    const api = fakeApi({
      "GET /api/workspace": WS,
      "PATCH /api/workspace": (body: unknown) =>
        refuse ? new ApiError({ status: 422, code: "validation_error", message: "終了時刻も入力してください。", where: "quiet_hours_end" }) : body,
    });
    render(withApp(api, <WorkspaceSettings />));
    const form = await screen.findByTestId("workspace-form");
    const end = form.querySelector("input[name=quiet_hours_end]") as HTMLInputElement;
    await typeSaveAndExpectErrorAtField(end, "", "workspace-save", "終了時刻も入力してください。");
    refuse = false;
    const name = form.querySelector("input[name=name]") as HTMLInputElement;
    fireEvent.input(name, { target: { value: "新宿店" } });
    fireEvent.click(screen.getByTestId("workspace-save"));
    await screen.findByTestId("workspace-saved");
    expect(api.calls.at(-1)).toContain('"name":"新宿店"');
    expect(api.calls.at(-1)).toContain('"frequency_cap_per_day":3');
    fireEvent.input(name, { target: { value: "新宿店2" } });
    expect(screen.queryByTestId("workspace-saved")).toBeNull(); // a change after the save is not saved yet
  });

  it("an operator sees the workspace settings without a save button", async () => {
    render(withApp(fakeApi({ "GET /api/workspace": WS }), <WorkspaceSettings />, "operator"));
    await screen.findByTestId("workspace-form");
    expect(screen.queryByTestId("workspace-save")).toBeNull();
  });

  it("keywords: a clash named at stop.1 shows under the stop words", async () => {
    const api = fakeApi({
      "GET /api/workspace/optout-keywords": { stop: ["配信停止"], resume: ["配信再開"] },
      "PUT /api/workspace/optout-keywords": new ApiError({ status: 422, code: "conflict", message: "「ストップ」は自動応答「お問い合わせ」と重なります。", where: "stop.1" }),
    });
    render(withApp(api, <OptOutKeywordSettings />));
    const stop = (await screen.findByTestId("optout-keywords-stop")) as HTMLTextAreaElement;
    await typeSaveAndExpectErrorAtField(stop, "配信停止\nストップ", "optout-keywords-save", "「ストップ」は自動応答「お問い合わせ」と重なります。");
    expect(api.calls.at(-1)).toContain('"stop":["配信停止","ストップ"]');
    expect(toList(" a \n\n b")).toEqual(["a", "b"]);
  });

  it("audit log: filters by kind and pages with the cursor", async () => {
    const row = { at: "2026-01-05T00:00:00+00:00", operator_email: "o@example.com", method: "POST", path: "/api/operators", target_kind: "operators", status: 201 };
    const api = fakeApi({ "GET /api/audit-log": { items: [row], cursor: "c2" } });
    render(withApp(api, <AuditLogScreen />));
    await screen.findByTestId("audit-row");
    fireEvent.change(screen.getByTestId("audit-kind"), { target: { value: "operators" } });
    await waitFor(() => expect(api.calls.at(-1)).toContain("target_kind=operators"));
    fireEvent.click(screen.getByTestId("audit-next"));
    await waitFor(() => expect(api.calls.at(-1)).toContain("cursor=c2"));
  });
});
