/** Login: dev form (local system) or the Cognito Hosted UI button (AWS). */
import { useState } from "preact/hooks";
import { ApiError } from "../api";
import { devLogin, ROLES, type Role, type Session, startCognitoLogin } from "../auth";
import type { AppConfig } from "../config";
import { ErrorNotice } from "../components/ErrorNotice";
import { LangSwitch } from "../components/Shell";
import { t } from "../i18n";
import { useForm } from "../lib/useForm";

export interface LoginScreenProps {
  config: AppConfig;
  onLoggedIn: (s: Session) => void;
  expired?: boolean;
  initialError?: unknown;
}

function DevLoginForm({ config, onLoggedIn }: { config: AppConfig; onLoggedIn: (s: Session) => void }) {
  // Field names mirror the API body, so an ApiError's `where` marks the right input.
  const form = useForm<{ email: string; workspace_id: string; role: Role }>(
    { email: "", workspace_id: "ws_demo", role: "owner" },
    "login",
  );
  const { values, set } = form;

  async function onSubmit(e: Event) {
    e.preventDefault();
    if (!values.email.trim()) {
      form.setError(new ApiError({ status: 0, code: "validation_failed", message: t("login.emailRequired"), where: "email" }));
      return;
    }
    if (!values.workspace_id.trim()) {
      form.setError(
        new ApiError({ status: 0, code: "validation_failed", message: t("login.workspaceRequired"), where: "workspace_id" }),
      );
      return;
    }
    const session = await form.submit((v) =>
      devLogin(config.apiBase, { email: v.email.trim(), workspaceId: v.workspace_id.trim(), role: v.role }),
    );
    if (session) onLoggedIn(session);
  }

  return (
    <form class="form" onSubmit={onSubmit} noValidate data-testid="dev-login-form">
      <p class="notice notice--info">{t("login.devNotice")}</p>
      <ErrorNotice error={form.error} onDismiss={() => form.setError(null)} />
      <label class="field">
        <span class="field__label">{t("login.email")}</span>
        <input
          name="email"
          type="email"
          autoComplete="email"
          inputMode="email"
          value={values.email}
          aria-invalid={form.errorFor("email") ? true : undefined}
          onInput={(e) => set("email", e.currentTarget.value)}
          placeholder="you@example.com"
        />
      </label>
      <label class="field">
        <span class="field__label">{t("login.workspaceId")}</span>
        <input
          name="workspace_id"
          value={values.workspace_id}
          autoComplete="off"
          aria-invalid={form.errorFor("workspace_id") ? true : undefined}
          onInput={(e) => set("workspace_id", e.currentTarget.value)}
        />
      </label>
      <label class="field">
        <span class="field__label">{t("login.role")}</span>
        <select name="role" value={values.role} onChange={(e) => set("role", e.currentTarget.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {t(`role.${r}`)} ({r})
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="btn btn--block" disabled={form.submitting} data-testid="login-submit">
        {form.submitting ? t("login.submitting") : t("login.submit")}
      </button>
    </form>
  );
}

function CognitoLogin({ config }: { config: AppConfig }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div class="form">
      <p class="notice notice--info">{t("login.cognitoNotice")}</p>
      <ErrorNotice error={error} />
      <button
        type="button"
        class="btn btn--block"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          startCognitoLogin(config.cognito!).catch((e: unknown) => (setError(e), setBusy(false)));
        }}
      >
        {t("login.cognitoSubmit")}
      </button>
    </div>
  );
}

export function LoginScreen({ config, onLoggedIn, expired, initialError }: LoginScreenProps) {
  return (
    <div class="login">
      <div class="login__card">
        <div class="login__head">
          <div class="topbar__brand">
            <span class="logo" aria-hidden="true">
              配
            </span>
            <span>
              <strong class="topbar__app">{t("app.name")}</strong>
              <span class="muted login__tagline">{t("app.tagline")}</span>
            </span>
          </div>
          <LangSwitch />
        </div>
        <h1 class="login__title">{t("login.title")}</h1>
        {expired && <p class="notice notice--warn">{t("login.sessionExpired")}</p>}
        {initialError ? <ErrorNotice error={initialError} /> : null}
        {config.authMode === "dev" ? (
          <DevLoginForm config={config} onLoggedIn={onLoggedIn} />
        ) : (
          <CognitoLogin config={config} />
        )}
      </div>
    </div>
  );
}
