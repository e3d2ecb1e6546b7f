import { fireEvent, render, screen } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";
import { freshPageEachTest } from "../testing/app";
import { ConfirmButton } from "./ConfirmButton";
import { CheckField, RadioField, SelectField, TextField, choices } from "./Field";

describe("fields", () => {
  freshPageEachTest();

  it("TextField: named by the API's where, invalid with the message under it only when there is an error", () => {
    const onValue = vi.fn();
    const { rerender } = render(<TextField label="件名" name="content.email.subject" value="" onValue={onValue} />);
    const input = screen.getByLabelText("件名") as HTMLInputElement;
    expect(input.name).toBe("content.email.subject");
    expect(input.getAttribute("aria-invalid")).toBe("false");
    expect(document.querySelector("[data-field-error]")).toBeNull();
    fireEvent.input(input, { target: { value: "11月のお知らせ" } });
    expect(onValue).toHaveBeenCalledWith("11月のお知らせ");
    rerender(<TextField label="件名" name="content.email.subject" value="" error="件名は必須です" onValue={onValue} />);
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(document.querySelector("[data-field-error='content.email.subject']")!.textContent).toBe("件名は必須です");
  });

  it("TextField with rows is a textarea", () => {
    render(<TextField label="本文" name="sms.text" rows={3} maxLength={1600} value="x" onValue={() => undefined} />);
    const area = screen.getByLabelText("本文") as HTMLTextAreaElement;
    expect(area.tagName).toBe("TEXTAREA");
    expect(area.maxLength).toBe(1600);
  });

  it("SelectField offers the choices in order and reports the chosen value", () => {
    const onValue = vi.fn();
    render(<SelectField label="状態" name="status" value="open" options={choices(["open", "closed"] as const, (v) => `状態:${v}`)} onValue={onValue} />);
    const select = screen.getByLabelText("状態") as HTMLSelectElement;
    expect([...select.options].map((o) => [o.value, o.text])).toEqual([
      ["open", "状態:open"],
      ["closed", "状態:closed"],
    ]);
    fireEvent.change(select, { target: { value: "closed" } });
    expect(onValue).toHaveBeenCalledWith("closed");
  });

  it("RadioField and CheckField report the choice", () => {
    const onRadio = vi.fn();
    const onCheck = vi.fn();
    render(
      <>
        <RadioField label="配信先" name="audience" value="everyone" options={[["everyone", "全員"], ["saved", "保存済み"]] as const} onValue={onRadio} />
        <CheckField label="夜間を避ける" name="quiet" checked={true} onValue={onCheck} testId="quiet" />
      </>,
    );
    expect(screen.getByRole("radiogroup", { name: "配信先" })).toBeTruthy();
    fireEvent.click(document.querySelector("input[name=audience][value=saved]")!);
    expect(onRadio).toHaveBeenCalledWith("saved");
    fireEvent.click(screen.getByLabelText("夜間を避ける"));
    expect(onCheck).toHaveBeenCalledWith(false);
  });
});

describe("<ConfirmButton>", () => {
  freshPageEachTest();

  it("asks before acting; cancel acts on nothing", () => {
    const onConfirm = vi.fn();
    render(<ConfirmButton label="削除" confirmLabel="削除する" question="本当に削除しますか?" onConfirm={onConfirm} testId="x-delete" />);
    fireEvent.click(screen.getByTestId("x-delete"));
    expect(onConfirm).not.toHaveBeenCalled();
    expect(screen.getByText("本当に削除しますか?")).toBeTruthy();
    fireEvent.click(screen.getByText("キャンセル"));
    expect(onConfirm).not.toHaveBeenCalled();
    expect(screen.queryByText("本当に削除しますか?")).toBeNull();
    fireEvent.click(screen.getByTestId("x-delete"));
    fireEvent.click(screen.getByTestId("x-delete-confirm"));
    expect(onConfirm).toHaveBeenCalledOnce();
  });
});
