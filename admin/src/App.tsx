import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, createApiClient } from "./api";
import {
  clearSession,
  cognitoLogoutUrl,
  loadSession,
  rememberReturnTo,
  saveSession,
  type Session,
  takeReturnTo,
} from "./auth";
import type { AppConfig } from "./config";
import { AppContext, type AppContextValue } from "./context";
import { ErrorNotice } from "./components/ErrorNotice";
import { PageHeader } from "./components/PageHeader";
import { Shell } from "./components/Shell";
import { getLang, onLangChange, t } from "./i18n";
import { href, navigate, useRoute } from "./router";
import { LoginScreen } from "./screens/LoginScreen";
import { DEFAULT_PATH, matchScreen, navOwner, visibleTo } from "./screens/registry";

function useLanguage() {
  const [lang, setLangState] = useState(getLang());
  useEffect(() => onLangChange(setLangState), []);
  return lang;
}

function NotFound() {
  return (
    <>
      <PageHeader title={t("notFound.title")} lead={t("notFound.body")} />
      <a class="btn" href={href(DEFAULT_PATH)}>
        {t("notFound.back")}
      </a>
    </>
  );
}

export function App({ config, initialSession, initialError }: { config: AppConfig; initialSession?: Session | null; initialError?: unknown }) {
  const lang = useLanguage();
  const route = useRoute();
  const [session, setSession] = useState<Session | null>(() => initialSession ?? loadSession());
  const [expired, setExpired] = useState(false);

  const api = useMemo(
    () =>
      createApiClient({
        baseUrl: config.apiBase,
        getToken: () => loadSession()?.token ?? null,
        onUnauthorized: () => {
          // Drafts stay in sessionStorage (useForm); after login we come back to this route.
          rememberReturnTo(location.hash);
          clearSession();
          setSession(null);
          setExpired(true);
        },
      }),
    [config],
  );

  // Keep the address bar honest: logged out -> #/login, logged in -> never #/login or #/.
  useEffect(() => {
    if (!session && route.path !== "/login") {
      rememberReturnTo(location.hash);
      navigate("/login", true);
    } else if (session && (route.path === "/login" || route.path === "/")) {
      navigate(DEFAULT_PATH, true);
    }
  }, [session, route.path]);

  const ctx = useMemo<AppContextValue | null>(
    () =>
      session && {
        config,
        api,
        session,
        logout: () => {
          clearSession();
          setSession(null);
          setExpired(false);
          if (config.authMode === "cognito" && config.cognito) {
            location.assign(cognitoLogoutUrl(config.cognito, `${location.origin}${location.pathname}`));
          }
        },
      },
    [config, api, session],
  );

  if (!session || !ctx) {
    return (
      <LoginScreen
        key={lang}
        config={config}
        expired={expired}
        initialError={initialError}
        onLoggedIn={(s) => {
          saveSession(s);
          setSession(s);
          setExpired(false);
          navigate(takeReturnTo().replace(/^#/, ""), true);
        }}
      />
    );
  }

  const screen = matchScreen(route.path);
  document.title = `${screen ? t(screen.titleKey) : t("app.name")} | ${t("app.name")}`;
  const allowed = screen && visibleTo(session.role)(screen);
  const Screen = screen?.component;
  return (
    <AppContext.Provider value={ctx}>
      <Shell activePath={navOwner(route.path)}>
        {!screen || !Screen ? (
          route.path === "/" || route.path === "/login" ? null : <NotFound />
        ) : allowed ? (
          <Screen key={screen.path} />
        ) : (
          <>
            <PageHeader title={t(screen.titleKey)} />
            <ErrorNotice error={new ApiError({ status: 403, code: "forbidden", message: t("nav.forbidden") })} />
          </>
        )}
      </Shell>
    </AppContext.Provider>
  );
}
