// Local only: the context the LINE emulator opens a LIFF page with (its opener puts it in the URL fragment:
// #liff-mock=<base64url JSON>), kept for the tab in sessionStorage (the form's thank-you page needs it too), and
// LINE's LIFF mock plugin set up with it: isInClient, the emulator's real ID token, and sendMessages going to the
// emulator, which posts the text into the chat as the friend and sends the webhook message event, as LINE does.
import type liffType from "@line/liff";

export type MockContext = {
  idToken: string;
  userId: string;
  liffId: string;
  inClient: boolean;
  displayName: string;
};

const KEY = "haishin.liffMock";
const PARAM = "liff-mock=";

function decode(text: string): MockContext | null {
  try {
    const json = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<MockContext>;
    if (typeof value.idToken !== "string" || typeof value.userId !== "string") return null;
    return {
      idToken: value.idToken,
      userId: value.userId,
      liffId: String(value.liffId ?? ""),
      inClient: value.inClient !== false,
      displayName: String(value.displayName ?? ""),
    };
  } catch {
    return null;
  }
}

export function mockContext(win: Window): MockContext | null {
  const hash = win.location.hash.replace(/^#/, "");
  if (hash.startsWith(PARAM)) {
    const found = decode(hash.slice(PARAM.length));
    if (found) {
      win.sessionStorage.setItem(KEY, JSON.stringify(found));
      win.history.replaceState(null, "", win.location.pathname + win.location.search);
      return found;
    }
  }
  const kept = win.sessionStorage.getItem(KEY);
  return kept ? (JSON.parse(kept) as MockContext) : null;
}

type MockedLiff = typeof liffType & {
  $mock: { set: (data: Record<string, unknown> | ((p: Record<string, unknown>) => Record<string, unknown>)) => void };
};

export function useEmulator(liff: typeof liffType, mock: MockContext | null, emulator: string): void {
  const mocked = liff as MockedLiff;
  if (!mock) {
    // no emulator context (a desktop browser on the local system): outside LINE, not logged in
    mocked.$mock.set((p) => ({ ...p, isInClient: false, isLoggedIn: false, getIDToken: null }));
    // LINE Login has no mock: say where the local system opens LIFF pages from
    liff.login = () => {
      const line = document.getElementById("liff-status");
      if (line) line.textContent = "ローカル環境では、LINE エミュレーターのトーク画面 (/_emulator/phone) から開いてください。";
    };
    return;
  }
  mocked.$mock.set((p) => ({
    ...p,
    isInClient: mock.inClient,
    isLoggedIn: true,
    getIDToken: mock.idToken,
    getProfile: { userId: mock.userId, displayName: mock.displayName },
  }));
  liff.login(); // the LIFF browser logs in by itself; the mock plugin counts the login
  const send = async (messages: unknown[]): Promise<void> => {
    // text/plain: a simple cross-origin request (no preflight); the emulator reads JSON whatever the type
    const res = await fetch(`${emulator.replace(/\/$/, "")}/_emulator/liff/send`, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify({ liff_id: mock.liffId, id_token: mock.idToken, messages }),
    });
    if (!res.ok) throw new Error(`LINE emulator: ${res.status}`);
  };
  (liff as unknown as { sendMessages: typeof send }).sendMessages = send;
}
