import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../api";
import { ErrorNotice } from "../components/ErrorNotice";
import { freshPageEachTest } from "../testing/app";
import { useAction } from "./useAction";

function RetryButton({ attempt }: { attempt: () => Promise<string> }) {
  const action = useAction();
  return (
    <>
      <button type="button" disabled={action.busy} onClick={() => void action.run(attempt)}>
        {action.busy ? "busy" : "retry"}
      </button>
      <ErrorNotice error={action.error} />
    </>
  );
}

describe("useAction", () => {
  freshPageEachTest();

  it("is busy while running, shows a failure in place, and clears it when the next run succeeds", async () => {
    let release: (v: string) => void = () => undefined;
    const answers = [() => Promise.reject(new ApiError({ status: 503, code: "server_error", message: "一時的に失敗しました" })), () => new Promise<string>((r) => (release = r))];
    render(<RetryButton attempt={() => answers.shift()!()} />);
    fireEvent.click(screen.getByText("retry"));
    expect((await screen.findByRole("alert")).textContent).toContain("一時的に失敗しました");
    fireEvent.click(screen.getByText("retry"));
    await waitFor(() => expect((screen.getByText("busy") as HTMLButtonElement).disabled).toBe(true));
    expect(screen.queryByRole("alert")).toBeNull();
    release("ok");
    await screen.findByText("retry");
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
