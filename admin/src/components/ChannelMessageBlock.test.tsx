import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";
import { fakeApi, withApp, freshPageEachTest } from "../testing/app";
import { ChannelMessageBlock, emptyContent, lineErrorAt } from "./ChannelMessageBlock";

const problems = (o: Record<string, string>) => new Map(Object.entries(o));

describe("<ChannelMessageBlock>", () => {
  freshPageEachTest();

  it("LINE: names its inputs under the base and shows the API's error at the message field", () => {
    render(<ChannelMessageBlock channel="line" base="steps[0]" value={[{ type: "text", text: "" }]} problems={problems({ "steps[0].line[0].text": "本文を入力してください" })} onChange={() => undefined} />);
    const text = document.querySelector("textarea[name='steps[0].line[0].text']")!;
    expect(text).toBeTruthy();
    expect(text.closest("label")!.textContent).toContain("本文を入力してください");
  });

  it("LINE: a broadcast's dotted where (content.line.0) reaches the same message", () => {
    const at = lineErrorAt(problems({ "content.line.0.text": "長すぎます", "content.line.1.quickReply": "ボタンは 13 個まで" }), "content");
    expect(at(0, "text")).toBe("長すぎます");
    expect(at(1, "")).toBe("ボタンは 13 個まで"); // a problem with no field of its own shows on the message
    expect(at(0, "")).toBeUndefined(); // the text problem shows at the text, not twice
  });

  it("e-mail: subject and body at <base>.email.*, each with its error; the From list only when senders are given", async () => {
    const onChange = vi.fn();
    const { rerender } = render(
      <ChannelMessageBlock channel="email" base="content" value={{ subject: "", html: "", text: "" }} problems={problems({ "content.email.subject": "件名は必須です", "content.email.html": "HTML が不正です" })} onChange={onChange} />,
    );
    const subject = document.querySelector("input[name='content.email.subject']") as HTMLInputElement;
    expect(subject.getAttribute("aria-invalid")).toBe("true");
    expect(subject.closest("label")!.textContent).toContain("件名は必須です");
    expect(screen.getByTestId("email-html").closest("label")!.textContent).toContain("HTML が不正です");
    expect(document.querySelector("select[name='content.email.from']")).toBeNull();
    fireEvent.input(subject, { target: { value: "11月のお知らせ" } });
    expect(onChange).toHaveBeenCalledWith({ subject: "11月のお知らせ", html: "", text: "" });
    const senders = [{ identity_id: "i1", from_name: "サロン", from_address: "news@example.com", verified: true, default: false }];
    rerender(<ChannelMessageBlock channel="email" base="content" value={{ subject: "x" }} senders={senders} problems={problems({})} onChange={onChange} />);
    await waitFor(() => expect(document.querySelector("select[name='content.email.from'] option[value='news@example.com']")).toBeTruthy());
  });

  it("SMS: one text at <base>.sms.text, at most 1600 characters, error at the field", () => {
    render(<ChannelMessageBlock channel="sms" base="steps[2]" value={{ text: "" }} problems={problems({ "steps[2].sms.text": "本文は必須です" })} onChange={() => undefined} />);
    const area = document.querySelector("textarea[name='steps[2].sms.text']") as HTMLTextAreaElement;
    expect(area.maxLength).toBe(1600);
    expect(area.closest("label")!.textContent).toContain("本文は必須です");
  });

  it("each channel starts from an empty message", () => {
    expect(emptyContent("line")).toEqual([{ type: "text", text: "" }]);
    expect(emptyContent("email")).toEqual({ subject: "", text: "" });
    expect(emptyContent("sms")).toEqual({ text: "" });
  });
});

describe("useSenders through the scenario-style block", () => {
  freshPageEachTest();
  it("is only asked for when an e-mail is written", async () => {
    const { useSenders } = await import("./ChannelMessageBlock");
    const api = fakeApi({ "GET /api/senders": { items: [] } });
    function Probe({ on }: { on: boolean }) {
      useSenders(on);
      return null;
    }
    const { rerender } = render(withApp(api, <Probe on={false} />));
    expect(api.calls).toEqual([]);
    rerender(withApp(api, <Probe on={true} />));
    await waitFor(() => expect(api.calls).toEqual(["GET /api/senders"]));
  });
});
