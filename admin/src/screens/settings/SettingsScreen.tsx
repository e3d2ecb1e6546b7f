import { Icon } from "../../components/Icon";
import { PageHeader } from "../../components/PageHeader";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { href } from "../../router";
import { childScreens, visibleTo } from "../registry";
import { OptOutKeywordSettings } from "./OptOutKeywords";
import { WorkspaceSettings } from "./WorkspaceForm";

/** Settings hub: links to every screen registered with `parent: "/settings"`, plus the session. */
export default function SettingsScreen() {
  const { session, config } = useApp();
  return (
    <>
      <PageHeader title={t("nav.settings")} lead={t("screen.settings.lead")} />
      <section class="card">
        <h2 class="card__title">{t("settings.entries")}</h2>
        <ul class="link-list">
          {childScreens("/settings")
            .filter(visibleTo(session.role))
            .map((s) => (
            <li key={s.path}>
              <a class="link-list__item" href={href(s.path)} data-testid={`settings-link-${s.path}`}>
                <Icon name={s.icon} />
                <span class="link-list__text">
                  <strong>{t(s.titleKey)}</strong>
                  {s.descKey && <span class="muted">{t(s.descKey)}</span>}
                </span>
                <Icon name="chevron" size={18} />
              </a>
            </li>
          ))}
        </ul>
      </section>
      <WorkspaceSettings />
      <OptOutKeywordSettings />
      <section class="card">
        <h2 class="card__title">{t("settings.session")}</h2>
        <dl class="facts">
          <dt>{t("settings.email")}</dt>
          <dd>{session.email || "—"}</dd>
          <dt>{t("settings.workspaceId")}</dt>
          <dd>
            <code>{session.workspaceId || "—"}</code>
          </dd>
          <dt>{t("header.role")}</dt>
          <dd>{t(`role.${session.role}`)}</dd>
          <dt>{t("settings.apiBase")}</dt>
          <dd>
            <code>{config.apiBase}</code>
          </dd>
        </dl>
      </section>
    </>
  );
}
