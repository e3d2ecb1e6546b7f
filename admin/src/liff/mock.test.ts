import { describe, expect, it } from "vitest";
import { mockContext } from "./mock";

function encode(value: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

describe("the LIFF mock context the LINE emulator opens a page with", () => {
  it("is read from the fragment, kept for the tab and taken off the address bar", () => {
    sessionStorage.clear();
    const context = { idToken: "a.b.c", userId: "U" + "1".repeat(32), liffId: "2000000001-AbCd1234", inClient: true, displayName: "佐藤 葵" };
    history.replaceState(null, "", `/liff/1650000001/me?x=1#liff-mock=${encode(context)}`);
    expect(mockContext(window)).toEqual(context);
    expect(location.hash).toBe("");
    expect(location.search).toBe("?x=1");
    // the next page of the same tab (the form's thank-you page) has no fragment: the kept context
    expect(mockContext(window)).toEqual(context);
  });

  it("ignores a broken fragment", () => {
    sessionStorage.clear();
    history.replaceState(null, "", "/liff/1650000001/me#liff-mock=!!!");
    expect(mockContext(window)).toBeNull();
  });
});
