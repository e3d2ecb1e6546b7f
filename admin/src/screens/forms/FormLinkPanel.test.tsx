import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, freshPageEachTest, withApp } from "../../testing/app";
import { friendLabel } from "../friends/FriendPicker";
import FormsScreen from "./FormsScreen";

const VIEW = {
  form_id: "f1", url: "https://x/f/f1", created_at: "", updated_at: "",
  definition: {
    name: "来店予約", title: "ご予約", description: "", fields: [{ key: "name", label: "お名前", type: "text", required: true, options: [] }],
    submit_label: "送信する", actions: [], auto_reply: "", thank_you_message: "ありがとう", redirect_url: "", status: "open",
  },
};
const FRIENDS = { items: [{ subscriber_id: "sub_1", display_name: "佐藤 美咲", email: null }, { subscriber_id: "sub_2", display_name: "鈴木", email: "s@example.jp" }] };

describe("a form's delete and its friend URL", () => {
  freshPageEachTest("#/forms/f1");

  it("deletes the form only after the in-page confirm, then goes back to the list", async () => {
    const api = fakeApi({ "GET /api/forms/f1": VIEW, "GET /api/subscribers": FRIENDS, "DELETE /api/forms/f1": null });
    render(withApp(api, <FormsScreen />));
    fireEvent.click(await screen.findByTestId("form-delete"));
    expect(api.calls.some((c) => c.startsWith("DELETE"))).toBe(false);
    fireEvent.click(screen.getByTestId("form-delete-confirm"));
    await waitFor(() => expect(api.calls).toContain("DELETE /api/forms/f1"));
    await waitFor(() => expect(location.hash).toBe("#/forms"));
  });

  it("issues a friend's URL: no friend picked is shown at the picker; a picked friend gets a URL to copy", async () => {
    const api = fakeApi({
      "GET /api/forms/f1": VIEW,
      "GET /api/subscribers": FRIENDS,
      "POST /api/forms/f1/link": (body: unknown) =>
        (body as { subscriber_id: string }).subscriber_id
          ? { url: "https://x/f/f1?t=abc", token: "abc", expires_at: 1_800_000_000 }
          : new ApiError({ status: 422, code: "validation_error", message: "友だちを選んでください。", where: "subscriber_id" }),
    });
    render(withApp(api, <FormsScreen />));
    const issue = await screen.findByTestId("form-link-issue");
    fireEvent.click(issue);
    await waitFor(() => expect(document.querySelector("[data-field-error=subscriber_id]")?.textContent).toBe("友だちを選んでください。"));
    fireEvent.input(screen.getByTestId("form-link-search"), { target: { value: "鈴木" } });
    const picker = screen.getByTestId("form-link-friend") as HTMLSelectElement;
    expect([...picker.options].map((o) => o.value)).toEqual(["", "sub_2"]);
    fireEvent.change(picker, { target: { value: "sub_2" } });
    fireEvent.click(issue);
    expect((await screen.findByTestId("form-link-url")).textContent).toBe("https://x/f/f1?t=abc");
    expect(api.calls.at(-1)).toBe('POST /api/forms/f1/link {"subscriber_id":"sub_2","valid_days":30}');
    expect(api.calls.some((c) => c.startsWith("PUT"))).toBe(false); // issuing is not a save of the form
    expect(friendLabel({ subscriber_id: "sub_9", display_name: null, email: null })).toBe("sub_9");
  });
});
