import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../api";
import { fakeApi, withApp, freshPageEachTest, typeSaveAndExpectErrorAtField } from "../../testing/app";
import FormsScreen from "./FormsScreen";

describe("forms on the shared shell", () => {
  freshPageEachTest();

  it("builder: fields can be added and reordered; a refused redirect URL is shown at its field and the form is kept", async () => {
    location.hash = "#/forms/new";
    const api = fakeApi({ "POST /api/forms": new ApiError({ status: 422, code: "validation_failed", message: "https:// で始まる URL を入力してください", where: "redirect_url" }) });
    render(withApp(api, <FormsScreen />));
    fireEvent.click(screen.getByTestId("form-add-field"));
    expect(screen.getAllByTestId("form-field")).toHaveLength(2);
    fireEvent.input(document.querySelector("input[name='fields.1.label']")!, { target: { value: "誕生日" } });
    fireEvent.click(screen.getAllByLabelText("上へ")[1]!);
    expect((document.querySelector("input[name='fields.0.label']") as HTMLInputElement).value).toBe("誕生日");
    fireEvent.click(document.querySelector("input[name=after][value=redirect]")!);
    const url = document.querySelector("input[name=redirect_url]") as HTMLInputElement;
    await typeSaveAndExpectErrorAtField(url, "http://example.com", "form-save", "https:// で始まる URL を入力してください");
    const body = JSON.parse(api.calls[0]!.replace(/^POST \/api\/forms /, ""));
    expect(body.redirect_url).toBe("http://example.com");
    expect(body.fields.map((f: { label: string }) => f.label)).toEqual(["誕生日", "お名前"]);
    expect("after" in body).toBe(false);
    await waitFor(() => expect(location.hash).toBe("#/forms/new"));
  });
});
