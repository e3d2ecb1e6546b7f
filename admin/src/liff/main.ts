// The script of Haishin's LIFF pages (haishin/pages/liff.py), bundled on its own (vite.liff.config.ts) and served by
// the pages function at /liff/app.js: nothing is loaded from the internet.
//
// Modes (data-mode on #liff): "endpoint" (the LIFF endpoint itself: liff.init follows LINE's liff.state to the
// page), "shell" (a form or マイページ: post the friend's ID token back to the same URL), "done" (a form was sent:
// post a message into the chat as the friend, inside LINE only).
// Locally (data-mock="1", set by the local runtime only) LINE's LIFF mock plugin stands in for LINE, with the
// context the LINE emulator opened the page with (a real emulator ID token); every other line is the same.
import liff from "@line/liff";
import { LiffMockPlugin } from "@line/liff-mock";
import { mockContext, useEmulator, type MockContext } from "./mock";

type Config = {
  liffId: string;
  mode: string;
  mock: boolean;
  emulator: string;
  fallback: string;
  send: string;
};

function config(): Config | null {
  const box = document.getElementById("liff");
  if (!box) return null;
  const d = box.dataset;
  return {
    liffId: d.liffId ?? "",
    mode: d.mode ?? "",
    mock: d.mock === "1",
    emulator: d.emulator ?? "",
    fallback: d.fallback ?? "",
    send: d.send ?? "",
  };
}

function say(text: string, failed = false): void {
  const line = document.getElementById("liff-status");
  if (line) {
    line.textContent = text;
    line.className = failed ? "error" : "help";
  }
}

export async function start(cfg: Config): Promise<void> {
  let mock: MockContext | null = null;
  if (cfg.mock) {
    mock = mockContext(window);
    liff.use(new LiffMockPlugin());
  }
  await liff.init({ liffId: cfg.liffId, ...(cfg.mock ? { mock: true } : {}) } as Parameters<typeof liff.init>[0]);
  if (cfg.mock) useEmulator(liff, mock, cfg.emulator);

  if (cfg.mode === "done") {
    if (!liff.isInClient() || !cfg.send) return; // a desktop browser: nothing to post into
    try {
      await liff.sendMessages([{ type: "text", text: cfg.send }]);
      say("トーク画面にメッセージを送信しました。");
    } catch {
      say("トーク画面へのメッセージは送信できませんでした (回答は保存されています)。");
    }
    return;
  }
  if (!liff.isInClient() && !liff.isLoggedIn()) {
    // outside LINE: today's signed link if one came with the URL, otherwise LINE Login
    if (cfg.fallback) {
      location.replace(cfg.fallback);
      return;
    }
    say("LINE ログインに移動しています…");
    liff.login({ redirectUri: location.href });
    return;
  }
  const form = document.getElementById("liff-form") as HTMLFormElement | null;
  if (cfg.mode === "endpoint" || !form) {
    say("LINE のトーク画面のリンクやメニューからページを開いてください。");
    return;
  }
  const token = liff.getIDToken();
  if (!token) {
    say("LINE の ID トークンを取得できませんでした。LINE のトーク画面からもう一度開いてください。", true);
    return;
  }
  (form.elements.namedItem("id_token") as HTMLInputElement).value = token;
  form.submit();
}

const cfg = config();
if (cfg) {
  start(cfg).catch((error: unknown) => {
    say(`LINE で開けませんでした (${error instanceof Error ? error.message : String(error)})。` +
      "LINE のトーク画面からもう一度開いてください。", true);
  });
}
