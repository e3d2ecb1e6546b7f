/**
 * シナリオ (step delivery): list, import/export (YAML/JSON), the timeline editor and the simulator.
 * Routes: #/scenarios, #/scenarios/new, #/scenarios/<id>, #/scenarios/<id>/simulate
 */
import { useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Card, CardList } from "../../components/CardList";
import { ListScreen, useApiList } from "../../components/ResourceScreen";
import { useApp } from "../../context";
import { t } from "../../i18n";
import { useAction } from "../../lib/useAction";
import { href, navigate, useRoute } from "../../router";
import { ActiveCount } from "./EnrollmentCounts";
import { SCENARIOS, ScenarioEditor } from "./ScenarioEditor";
import { ScenarioSimulator } from "./ScenarioSimulator";
import { download, rawRequest } from "./shared";
import type { Scenario } from "./types";

function ScenarioList() {
  const { api, session } = useApp();
  const list = useApiList<Scenario>("/api/scenarios");
  const [importText, setImportText] = useState<string | null>(null);
  const importing = useAction();

  const doImport = () =>
    importText !== null &&
    importing.run(async () => {
      const saved = JSON.parse((await rawRequest(api, session.token, "POST", "/api/scenarios/import", importText, "application/yaml")).text) as Scenario;
      setImportText(null);
      navigate(`/scenarios/${saved.id}`);
    });

  return (
    <ListScreen
      kind={SCENARIOS}
      list={list}
      empty={t("sc.empty")}
      actions={
        <button type="button" class="btn btn--ghost" onClick={() => setImportText(importText === null ? "" : null)} data-testid="scenario-import-toggle">
          {t("sc.import")}
        </button>
      }
      above={
        importText !== null && (
          <section class="card" data-testid="scenario-import">
            <h2 class="card__title">{t("sc.import.title")}</h2>
            <p class="muted">{t("sc.import.help")}</p>
            <div class="form">
              <label class="field">
                <span class="field__label">{t("sc.import.file")}</span>
                <input
                  type="file"
                  accept=".yaml,.yml,.json,application/json,text/yaml"
                  onChange={async (e) => {
                    const f = e.currentTarget.files?.[0];
                    if (f) setImportText(await f.text());
                  }}
                />
              </label>
              <label class="field">
                <span class="field__label">{t("sc.import.paste")}</span>
                <textarea class="mono" name="body" rows={10} value={importText} onInput={(e) => setImportText(e.currentTarget.value)} />
              </label>
              <ErrorNotice error={importing.error} />
              <div class="toolbar">
                <button type="button" class="btn" disabled={importing.busy || !importText.trim()} onClick={doImport}>
                  {importing.busy ? t("sc.saving") : t("sc.import.run")}
                </button>
              </div>
            </div>
          </section>
        )
      }
    >
      {(rows) => (
        <CardList rows={rows} testId="scenario-list" keyOf={(s) => s.id}>
          {(s) => (
            <Card title={s.name} href={href(`/scenarios/${s.id}`)}>
              <span class={`badge ${s.status === "active" ? "badge--ok" : "badge--warn"}`}>{t(`sc.status.${s.status}` as never)}</span>
              <ActiveCount id={s.id} />
              <span class="list-card__meta">
                {t("sc.stepsN", { n: s.steps.length })} ·{" "}
                {s.triggers.map((tr) => t(`sc.trigger.${tr.type}` as never)).join(" / ") || t("sc.trigger.none")}
              </span>
              <a class="btn btn--ghost btn--small" href={href(`/scenarios/${s.id}/simulate`)}>
                {t("sc.simulate")}
              </a>
              <button
                type="button"
                class="btn btn--ghost btn--small"
                onClick={async () => {
                  try {
                    const r = await rawRequest(api, session.token, "GET", `/api/scenarios/${s.id}/export?format=yaml`);
                    download(`${s.name || s.id}.yaml`, r.text, "application/yaml");
                  } catch (e) {
                    list.setError(e);
                  }
                }}
              >
                {t("sc.export")}
              </button>
            </Card>
          )}
        </CardList>
      )}
    </ListScreen>
  );
}

export default function ScenariosScreen() {
  const { path } = useRoute();
  const rest = path.replace(/^\/scenarios\/?/, "");
  if (!rest) return <ScenarioList />;
  const [id, sub] = rest.split("/");
  if (sub === "simulate" && id) return <ScenarioSimulator key={id} id={id} />;
  return <ScenarioEditor key={id} id={id === "new" ? null : (id ?? null)} />;
}
