import { cleanup, fireEvent, render, screen } from "@testing-library/preact";
import { useState } from "preact/hooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { initLang } from "../i18n";
import { MessageEditor } from "./MessageEditor";
import { type LineMessage, MessagePreview, lineLimitProblems } from "./MessagePreview";

const buttons: LineMessage = {
  type: "template",
  altText: "ご予約",
  template: {
    type: "buttons",
    title: "ご予約",
    text: "{{ name }} さん、ご都合は?",
    actions: [
      { type: "message", label: "今週", text: "今週" },
      { type: "uri", label: "予約ページ", uri: "https://example.jp" },
    ],
  },
};
const withQuick: LineMessage = {
  type: "text",
  text: "アンケートにご協力ください",
  quickReply: {
    items: [
      { type: "action", action: { type: "message", label: "はい", text: "はい" } },
      { type: "action", action: { type: "message", label: "いいえ", text: "いいえ" } },
    ],
  },
};

describe("<MessagePreview>", () => {
  beforeEach(() => {
    localStorage.clear();
    initLang();
  });
  afterEach(cleanup);

  it("renders text with variables as chips, or as sample values", () => {
    const { container, rerender } = render(<MessagePreview messages={[{ type: "text", text: "こんにちは {{ name }} さん" }]} />);
    const chip = container.querySelector(".mp-var");
    expect(chip?.textContent).toBe("name");
    expect(screen.getByTestId("message-preview").textContent).toContain("こんにちは");
    rerender(<MessagePreview messages={[{ type: "text", text: "こんにちは {{ name }} さん" }]} samples={{ name: "山田 花子" }} />);
    expect(screen.getByTestId("message-preview").querySelector(".mp-sample")?.textContent).toBe("山田 花子");
    expect(screen.getByTestId("message-preview").querySelector(".mp-var")).toBeNull();
  });

  it("renders a buttons template with its actions and quick replies as chips", () => {
    render(<MessagePreview messages={[buttons, withQuick]} />);
    const preview = screen.getByTestId("message-preview");
    expect(preview.querySelector("[data-template=buttons]")).not.toBeNull();
    const actions = [...preview.querySelectorAll(".mp-action")].map((a) => a.textContent);
    expect(actions).toEqual(["今週", "予約ページ"]);
    const quick = screen.getByTestId("preview-quick-replies");
    expect([...quick.querySelectorAll(".mp-quick__chip")].map((c) => c.textContent)).toEqual(["はい", "いいえ"]);
    expect(screen.queryByTestId("preview-limit")).toBeNull();
  });

  it("flags 6 messages as over LINE's limit of 5 and marks the 6th as not sent", () => {
    const six: LineMessage[] = Array.from({ length: 6 }, (_, i) => ({ type: "text", text: `メッセージ ${i + 1}` }));
    render(<MessagePreview messages={six} />);
    const limit = screen.getByTestId("preview-limit");
    expect(limit.textContent).toContain("5 通まで");
    expect(limit.textContent).toContain("6 通");
    const rows = screen.getAllByTestId("preview-message");
    expect(rows).toHaveLength(6);
    expect(rows[5]!.getAttribute("data-over")).toBe("true");
    expect(rows[4]!.getAttribute("data-over")).toBeNull();
    expect(lineLimitProblems(six).some((p) => p.index === -1)).toBe(true);
    expect(lineLimitProblems(six.slice(0, 5))).toEqual([]);
  });

  it("shows image, sticker and flex best effort", () => {
    const { container } = render(
      <MessagePreview
        messages={[
          { type: "image", originalContentUrl: "https://example.jp/a.jpg", previewImageUrl: "https://example.jp/a.jpg" },
          { type: "sticker", packageId: "446", stickerId: "1988" },
          { type: "flex", altText: "お知らせ", contents: { type: "bubble", body: { type: "box", layout: "vertical", contents: [{ type: "text", text: "秋のキャンペーン" }] } } },
        ]}
      />,
    );
    expect(container.querySelector("img.mp-image")?.getAttribute("src")).toBe("https://example.jp/a.jpg");
    expect(container.textContent).toContain("スタンプ 446/1988");
    expect(container.textContent).toContain("秋のキャンペーン");
  });
});

describe("<MessageEditor>", () => {
  afterEach(cleanup);

  function Harness() {
    const [msgs, setMsgs] = useState<LineMessage[]>([{ type: "text", text: "" }]);
    return (
      <>
        <MessageEditor value={msgs} onChange={setMsgs} />
        <MessagePreview messages={msgs} />
      </>
    );
  }

  it("inserts a variable, caps the add buttons at 5 messages and checks text length", () => {
    const { container } = render(<Harness />);
    const textarea = container.querySelector("textarea[name='line[0].text']") as HTMLTextAreaElement;
    fireEvent.input(textarea, { target: { value: "ようこそ " } });
    fireEvent.click(container.querySelector("[data-insert-var=name]")!);
    expect((container.querySelector("textarea[name='line[0].text']") as HTMLTextAreaElement).value).toBe("ようこそ {{ name }}");
    expect(container.querySelector(".mp-var")?.textContent).toBe("name");
    const addText = container.querySelector("[data-add-message=text]") as HTMLButtonElement;
    for (let i = 0; i < 4; i++) fireEvent.click(addText);
    expect(screen.getAllByTestId("editor-message")).toHaveLength(5);
    expect((container.querySelector("[data-add-message=text]") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.input(container.querySelector("textarea[name='line[1].text']")!, { target: { value: "あ".repeat(5001) } });
    expect(container.textContent).toContain("5001 / 5000");
  });
});
