import { render, type VNode } from "preact";
import { App } from "./App";
import { finishCognitoLogin, saveSession, type Session } from "./auth";
import { ConfigError, loadConfig } from "./config";
import { ErrorNotice } from "./components/ErrorNotice";
import { ApiError } from "./api";
import { initLang, t } from "./i18n";
import "./styles.css";

function mount(root: HTMLElement, vnode: VNode) {
  root.textContent = "";
  render(vnode, root);
}

async function boot(root: HTMLElement) {
  initLang();
  root.textContent = t("app.loading");
  let config;
  try {
    config = await loadConfig();
  } catch (e) {
    const message = e instanceof ConfigError ? e.message : String(e);
    mount(
      root,
      <div class="login">
        <div class="login__card">
          <ErrorNotice error={new ApiError({ status: 0, code: "config_error", message })} onRetry={() => location.reload()} />
        </div>
      </div>,
    );
    return;
  }
  let session: Session | null = null;
  let initialError: unknown = null;
  if (config.authMode === "cognito" && config.cognito) {
    try {
      session = await finishCognitoLogin(config.cognito);
      if (session) saveSession(session);
    } catch (e) {
      initialError = e;
    }
  }
  mount(root, <App config={config} initialSession={session} initialError={initialError} />);
}

void boot(document.getElementById("app")!);
