import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import { type LiffChannel, LiffPanel } from "./LiffPanel";

const CHANNEL: LiffChannel = { channel_id: "1650000001", login_channel_id: "2000000001", liff_id: null, liff_endpoint_url: "https://x.example/prod/liff/1650000001" };

describe("the LIFF app panel", () => {
  freshPageEachTest();

  it("shows the endpoint URL to register, a refused LIFF ID at its field, then saves it and shows the LIFF URLs", async () => {
    let calls = 0;
    const changed: LiffChannel[] = [];
    const api = fakeApi({
      "PUT /api/channels/1650000001/liff": () =>
        ++calls === 1
          ? new ApiError({ status: 422, code: "validation_failed", message: "LIFF ID の形式が正しくありません", where: "liff_id" })
          : { ...CHANNEL, liff_id: "2000000001-AbCd1234" },
    });
    const { rerender } = render(withApp(api, <LiffPanel channel={CHANNEL} onChange={(c) => changed.push(c)} />));
    expect(screen.getByTestId("liff-endpoint-url").textContent).toBe("https://x.example/prod/liff/1650000001");
    expect(screen.getByTestId("liff-status").textContent).toBe("未設定");
    const input = screen.getByLabelText("LIFF ID", { exact: false }) as HTMLInputElement;
    fireEvent.input(input, { target: { value: "123" } });
    fireEvent.click(screen.getByTestId("liff-save"));
    const panel = screen.getByTestId("liff-app");
    await waitFor(() => expect(panel.querySelector("[data-field-error=liff_id]")?.textContent).toBe("LIFF ID の形式が正しくありません"));
    fireEvent.input(input, { target: { value: " 2000000001-AbCd1234 " } });
    fireEvent.click(screen.getByTestId("liff-save"));
    await screen.findByTestId("liff-saved");
    expect(api.calls.at(-1)).toBe('PUT /api/channels/1650000001/liff {"liff_id":"2000000001-AbCd1234"}');
    rerender(withApp(api, <LiffPanel channel={changed[0]!} onChange={() => undefined} />));
    expect(screen.getByTestId("liff-url-me").textContent).toBe("https://liff.line.me/2000000001-AbCd1234/me");
  });

  it("says the Login channel comes first, and removes the LIFF ID only after the confirm", async () => {
    const api = fakeApi({ "PUT /api/channels/1650000001/liff": { ...CHANNEL, liff_id: null } });
    render(withApp(api, <LiffPanel channel={{ ...CHANNEL, login_channel_id: null, liff_id: "2000000001-AbCd1234" }} onChange={() => undefined} />));
    expect(screen.getByTestId("liff-needs-login")).toBeTruthy();
    fireEvent.click(screen.getByTestId("liff-remove"));
    expect(api.calls).toEqual([]);
    fireEvent.click(screen.getByTestId("liff-remove-confirm"));
    await waitFor(() => expect(api.calls).toEqual(['PUT /api/channels/1650000001/liff {"liff_id":null}']));
  });
});
