import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "../api";
import { ErrorNotice } from "../components/ErrorNotice";
import { useForm } from "./useForm";

function TagForm({ save }: { save: (v: { name: string }) => Promise<unknown> }) {
  const form = useForm({ name: "" }, "tag-new");
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void form.submit(save);
      }}
    >
      <ErrorNotice error={form.error} />
      <input aria-label="name" value={form.values.name} onInput={(e) => form.set("name", e.currentTarget.value)} />
      <button type="submit">save</button>
    </form>
  );
}

describe("useForm", () => {
  beforeEach(() => sessionStorage.clear());
  afterEach(cleanup);

  it("keeps the input and shows the error when a save fails", async () => {
    const save = () => Promise.reject(new ApiError({ status: 422, code: "validation_failed", message: "too long", where: "name" }));
    render(<TagForm save={save} />);
    const input = screen.getByLabelText("name") as HTMLInputElement;
    fireEvent.input(input, { target: { value: "VIP 顧客" } });
    fireEvent.click(screen.getByText("save"));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toContain("too long"));
    expect((screen.getByLabelText("name") as HTMLInputElement).value).toBe("VIP 顧客");
    // the draft survives a trip to the login screen (401) or a reload
    expect(JSON.parse(sessionStorage.getItem("haishin.draft.tag-new")!)).toEqual({ name: "VIP 顧客" });
  });

  it("restores a draft on mount and clears it after a successful save", async () => {
    sessionStorage.setItem("haishin.draft.tag-new", JSON.stringify({ name: "下書き" }));
    render(<TagForm save={() => Promise.resolve({ ok: true })} />);
    expect((screen.getByLabelText("name") as HTMLInputElement).value).toBe("下書き");
    fireEvent.click(screen.getByText("save"));
    await waitFor(() => expect(sessionStorage.getItem("haishin.draft.tag-new")).toBeNull());
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
