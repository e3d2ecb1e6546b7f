/**
 * The frame around every screen: header (workspace, language, logout), a sidebar on wide
 * screens, and on phones a bottom tab bar (primary screens + "メニュー") with a menu sheet.
 * Everything is built from screens/registry.ts.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useApp } from "../context";
import { getLang, LANGS, type Lang, setLang, t } from "../i18n";
import { href } from "../router";
import { SCREENS, type ScreenDef, visibleTo } from "../screens/registry";
import { Icon } from "./Icon";

function NavLink({ s, active, onClick, variant }: { s: ScreenDef; active: boolean; onClick?: () => void; variant: string }) {
  return (
    <a
      class={`${variant}${active ? ` ${variant}--active` : ""}`}
      href={href(s.path)}
      aria-current={active ? "page" : undefined}
      onClick={onClick}
      data-nav={s.path}
    >
      <Icon name={s.icon} />
      <span class={`${variant}__label`}>{t(variant === "tabbar__link" ? (s.tabKey ?? s.titleKey) : s.titleKey)}</span>
    </a>
  );
}

export function LangSwitch() {
  const lang = getLang();
  return (
    <div class="lang-switch" role="group" aria-label={t("header.language")}>
      {LANGS.map((l: Lang) => (
        <button
          key={l}
          type="button"
          class={`lang-switch__btn${l === lang ? " lang-switch__btn--on" : ""}`}
          aria-pressed={l === lang}
          lang={l}
          data-lang={l}
          onClick={() => setLang(l)}
        >
          {l === "ja" ? t("lang.ja") : t("lang.en")}
        </button>
      ))}
    </div>
  );
}

export function Shell({ activePath, children }: { activePath: string | undefined; children: ComponentChildren }) {
  const { session, logout } = useApp();
  const [menuOpen, setMenuOpen] = useState(false);
  const nav = SCREENS.filter((s) => s.nav !== "none").filter(visibleTo(session.role));
  const primary = nav.filter((s) => s.nav === "primary");
  const more = nav.filter((s) => s.nav === "more");
  const moreActive = more.some((s) => s.path === activePath);
  const workspace = session.workspaceName || session.workspaceId;

  useEffect(() => setMenuOpen(false), [activePath]);
  useEffect(() => {
    if (!menuOpen) return;
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setMenuOpen(false);
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [menuOpen]);

  return (
    <div class="shell">
      <a class="skip-link" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
        {t("app.skipToContent")}
      </a>
      <header class="topbar">
        <div class="topbar__brand">
          <span class="logo" aria-hidden="true">
            配
          </span>
          <span class="topbar__app">{t("app.name")}</span>
        </div>
        <div class="topbar__workspace" title={t("header.workspace")} data-testid="workspace-name">
          <span class="topbar__ws-label">{t("header.workspace")}</span>
          <span class="topbar__ws-name">{workspace}</span>
        </div>
        <div class="topbar__tools">
          <LangSwitch />
          <span class="topbar__user" title={session.email}>
            <span class="topbar__email">{session.email}</span>
            <span class="badge badge--role">{t(`role.${session.role}`)}</span>
          </span>
          <button type="button" class="btn btn--ghost btn--small" onClick={logout} data-testid="logout">
            {t("header.logout")}
          </button>
        </div>
      </header>

      <nav class="sidebar" aria-label={t("nav.main")}>
        {nav.map((s) => (
          <NavLink key={s.path} s={s} active={s.path === activePath} variant="sidebar__link" />
        ))}
      </nav>

      <main id="main" class="content" tabIndex={-1}>
        {children}
      </main>

      <nav class="tabbar" aria-label={t("nav.main")} data-testid="mobile-nav">
        {primary.map((s) => (
          <NavLink key={s.path} s={s} active={s.path === activePath} variant="tabbar__link" />
        ))}
        <button
          type="button"
          class={`tabbar__link${moreActive || menuOpen ? " tabbar__link--active" : ""}`}
          aria-expanded={menuOpen}
          aria-controls="menu-sheet"
          onClick={() => setMenuOpen(!menuOpen)}
          data-testid="mobile-menu-button"
        >
          <Icon name="menu" />
          <span class="tabbar__link__label">{t("nav.more")}</span>
        </button>
      </nav>

      {menuOpen && (
        <div class="sheet-backdrop" onClick={() => setMenuOpen(false)}>
          <div
            id="menu-sheet"
            class="sheet"
            role="dialog"
            aria-modal="true"
            aria-label={t("nav.more")}
            onClick={(e) => e.stopPropagation()}
          >
            <div class="sheet__head">
              <strong>{t("nav.more")}</strong>
              <button type="button" class="btn btn--ghost btn--small" onClick={() => setMenuOpen(false)} aria-label={t("nav.close")}>
                <Icon name="close" size={18} />
              </button>
            </div>
            {nav.map((s) => (
              <NavLink
                key={s.path}
                s={s}
                active={s.path === activePath}
                variant="sheet__link"
                onClick={() => setMenuOpen(false)}
              />
            ))}
            <div class="sheet__foot">
              <span class="muted">{session.email}</span>
              <button type="button" class="btn btn--ghost btn--small" onClick={logout}>
                {t("header.logout")}
              </button>
            </div>
          </div>
        </div>
      )}
    </div>
  );
}
