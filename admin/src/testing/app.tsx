/**
 * Test helpers for components that call the API through useApp(): a fake ApiClient answering per "METHOD path"
 * (a value, or a function of the body; an Error is thrown), recording every call, and the context around a node.
 */
import type { ComponentChildren } from "preact";
import { cleanup, fireEvent, screen } from "@testing-library/preact";
import { afterAll, afterEach, beforeEach, expect, vi } from "vitest";
import type { ApiClient } from "../api";
import { AppContext, type AppContextValue } from "../context";
import { initLang } from "../i18n";

export type Answer = unknown | ((body: unknown) => unknown);

export interface FakeApi extends ApiClient {
  /** "GET /api/x", "PUT /api/x/1 {json body}" ... in call order */
  calls: string[];
}

export function fakeApi(answers: Record<string, Answer>): FakeApi {
  const calls: string[] = [];
  const answer = async (method: string, path: string, body?: unknown) => {
    calls.push(body === undefined ? `${method} ${path}` : `${method} ${path} ${JSON.stringify(body)}`);
    const key = `${method} ${path.split("?")[0]}`;
    if (!(key in answers)) throw new Error(`fakeApi: no answer for ${key}`);
    const a = answers[key];
    const value = typeof a === "function" ? (a as (b: unknown) => unknown)(body) : a;
    if (value instanceof Error) throw value;
    return value;
  };
  const api = {
    calls,
    baseUrl: "",
    request: vi.fn((m: string, p: string, o?: { body?: unknown }) => answer(m, p, o?.body)),
    get: vi.fn((p: string) => answer("GET", p)),
    post: vi.fn((p: string, b?: unknown) => answer("POST", p, b)),
    put: vi.fn((p: string, b?: unknown) => answer("PUT", p, b)),
    patch: vi.fn((p: string, b?: unknown) => answer("PATCH", p, b)),
    delete: vi.fn((p: string) => answer("DELETE", p)),
  };
  return api as unknown as FakeApi;
}

export function withApp(api: ApiClient, node: ComponentChildren, role: "owner" | "admin" | "operator" | "viewer" = "owner") {
  const value = { api, session: { role, token: "t" }, config: {}, logout: () => undefined } as unknown as AppContextValue;
  return <AppContext.Provider value={value}>{node}</AppContext.Provider>;
}

/** Each test starts on a fresh page: no stored language, drafts or hash, Japanese, nothing rendered. */
export function freshPageEachTest(hash = ""): void {
  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    location.hash = hash;
    initLang();
  });
  afterEach(cleanup);
  // Preact runs effects (and their cleanups) after paint, on a timer of up to 100 ms: let the last ones run while the
  // page still exists, or a late cleanup touches `window` after the file's environment is gone (a flaky error).
  afterAll(() => new Promise<void>((resolve) => setTimeout(resolve, 150)));
}

/**
 * The shell's promise for any editor, in one step: type `typed` into `field`, press the save button `saveTestId`
 * (the API refuses it), then the error is shown in place, the input keeps what was typed, and the message is AT the field.
 */
export async function typeSaveAndExpectErrorAtField(field: HTMLInputElement | HTMLTextAreaElement, typed: string, saveTestId: string, message: string): Promise<void> {
  fireEvent.input(field, { target: { value: typed } });
  fireEvent.click(screen.getByTestId(saveTestId));
  await screen.findByRole("alert");
  expect(field.value).toBe(typed);
  expect(field.getAttribute("aria-invalid")).toBe("true");
  expect(field.closest("label")!.querySelector(".field__error")!.textContent).toBe(message);
}
