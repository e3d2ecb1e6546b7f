import { cleanup, fireEvent, render, screen } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { initLang } from "../i18n";
import { EmailBodyEditor, FromSelect, PREVIEW_CSP, previewDocument } from "./EmailBodyEditor";

describe("EmailBodyEditor", () => {
  beforeEach(() => {
    localStorage.clear();
    initLang();
  });
  afterEach(cleanup);

  it("previews the HTML in a fully sandboxed iframe that can run no script", () => {
    render(<EmailBodyEditor name="content.email" html={"<p>{{ name }} さん</p><script>alert(1)</script>"} text="" onChange={() => {}} />);
    const frame = screen.getByTestId("email-preview") as HTMLIFrameElement;
    expect(frame.getAttribute("sandbox")).toBe("");
    const doc = frame.getAttribute("srcdoc") ?? "";
    expect(doc).toContain(`content="${PREVIEW_CSP}"`);
    expect(PREVIEW_CSP).toContain("default-src 'none'");
    expect(PREVIEW_CSP).not.toContain("script-src");
    expect(doc).toContain("山田 花子 さん");
  });

  it("fills variables with escaped samples and keeps unknown ones visible", () => {
    const doc = previewDocument("<p>{{ name }}</p><p>{{ fields.city }}</p>", { name: "<b>x</b>" });
    expect(doc).toContain("<p>&lt;b&gt;x&lt;/b&gt;</p>");
    expect(doc).toContain("{{ fields.city }}");
  });

  it("shows no preview without HTML and edits both bodies, Japanese first", () => {
    const seen: { html: string; text: string }[] = [];
    render(<EmailBodyEditor name="e" html="" text="" onChange={(v) => seen.push(v)} />);
    expect(screen.queryByTestId("email-preview")).toBeNull();
    expect(screen.getByText("HTML 本文")).toBeTruthy();
    fireEvent.input(screen.getByTestId("email-html"), { target: { value: "<p>こんにちは</p>" } });
    expect(seen.at(-1)).toEqual({ html: "<p>こんにちは</p>", text: "" });
  });

  it("offers verified senders and marks unverified ones", () => {
    render(
      <FromSelect
        name="email_from"
        value=""
        onChange={() => {}}
        senders={[
          { identity_id: "a", from_name: "店", from_address: "a@shop.example.jp", verified: true, default: true },
          { identity_id: "b", from_name: "", from_address: "b@shop.example.jp", verified: false, default: false },
        ]}
      />,
    );
    const options = [...(screen.getByTestId("email-from") as HTMLSelectElement).options];
    expect(options.map((o) => o.value)).toEqual(["", "a@shop.example.jp", "b@shop.example.jp"]);
    expect(options[2]!.disabled).toBe(true);
    expect(options[2]!.textContent).toContain("未認証");
  });
});
