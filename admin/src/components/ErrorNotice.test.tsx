import { cleanup, render, screen, fireEvent } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api";
import { initLang, setLang } from "../i18n";
import { ErrorNotice } from "./ErrorNotice";

describe("<ErrorNotice>", () => {
  beforeEach(() => {
    localStorage.clear();
    initLang();
  });
  afterEach(cleanup);

  it("says what went wrong, where, and what to do", () => {
    const err = new ApiError({ status: 422, code: "validation_failed", message: "タグ名は必須です", where: "name" });
    render(<ErrorNotice error={err} />);
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toContain("入力内容に問題があります");
    expect(alert.textContent).toContain("タグ名は必須です");
    expect(alert.textContent).toContain("name");
    expect(alert.textContent).toContain("入力した内容は残っています");
    expect(alert.getAttribute("data-error-code")).toBe("validation_failed");
  });

  it("uses a server-error title for unknown 5xx codes and offers retry", () => {
    const onRetry = vi.fn();
    setLang("en");
    render(<ErrorNotice error={new ApiError({ status: 503, code: "weird", message: "down" })} onRetry={onRetry} />);
    expect(screen.getByText("The server had an error")).toBeTruthy();
    fireEvent.click(screen.getByText("Retry"));
    expect(onRetry).toHaveBeenCalledOnce();
  });

  it("renders nothing without an error", () => {
    const { container } = render(<ErrorNotice error={null} />);
    expect(container.innerHTML).toBe("");
  });
});
