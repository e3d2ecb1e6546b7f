/** The honest placeholder for a screen whose API does not exist yet: no fake data. */
import { t } from "../i18n";
import { Icon } from "./Icon";

export function ComingSoon() {
  return (
    <section class="panel panel--soon" data-testid="coming-soon">
      <span class="panel__icon">
        <Icon name="clock" size={28} />
      </span>
      <div>
        <h2 class="panel__title">
          {t("comingSoon.title")}
        </h2>
        <p class="muted">{t("comingSoon.body")}</p>
      </div>
    </section>
  );
}
