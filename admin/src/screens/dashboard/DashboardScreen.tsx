import { ComingSoon } from "../../components/ComingSoon";
import { Icon } from "../../components/Icon";
import { PageHeader } from "../../components/PageHeader";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { href } from "../../router";

export default function DashboardScreen() {
  const { session } = useApp();
  const canConnect = session.role === "owner" || session.role === "admin";
  return (
    <>
      <PageHeader title={t("nav.dashboard")} lead={t("screen.dashboard.lead")} />
      {canConnect && (
        <section class="card card--accent">
          <h2 class="card__title">{t("dashboard.start.title")}</h2>
          <p>{t("dashboard.start.body")}</p>
          <a class="btn" href={href("/settings/channels")}>
            <Icon name="channels" size={18} />
            {t("dashboard.start.cta")}
          </a>
        </section>
      )}
      <ComingSoon />
    </>
  );
}
