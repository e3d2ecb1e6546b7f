/** Editor for a list of actions (haishin.actions): used by auto-replies, forms and products. */
import { t } from "../../i18n";
import { EndpointPicker } from "../webhooks/EndpointPicker";
import { ACTION_TYPES, type Action } from "./types";

function keyOf(type: string): string | null {
  if (type.endsWith("_tag")) return "tag";
  if (type.endsWith("field")) return "field";
  if (type === "call_webhook") return "endpoint_id";
  if (type === "stop_all_scenarios") return null;
  return "scenario_id";
}

export function ActionList({
  value,
  onChange,
  name,
  errorAt,
}: {
  value: Action[];
  onChange: (next: Action[]) => void;
  /** input name prefix, e.g. "actions" */
  name: string;
  errorAt?: (index: number) => string | undefined;
}) {
  const put = (j: number, a: Action) => onChange(value.map((x, m) => (m === j ? a : x)));
  return (
    <div class="form" data-testid="action-list">
      {value.length === 0 && <p class="muted">{t("act.none")}</p>}
      {value.map((a, j) => {
        const key = keyOf(a.type);
        const err = errorAt?.(j);
        return (
          <div key={j}>
            <div class="row">
              <label class="field">
                <span class="field__label">{t("sc.action.type")}</span>
                <select
                  name={`${name}[${j}].type`}
                  value={a.type}
                  onChange={(e) => {
                    const type = e.currentTarget.value;
                    const k = keyOf(type);
                    const next: Action = { type };
                    if (k) next[k] = "";
                    if (type === "add_to_field") next.amount = 1;
                    if (type === "set_field") next.value = "";
                    put(j, next);
                  }}
                >
                  {ACTION_TYPES.map((tp) => (
                    <option key={tp} value={tp}>
                      {t(`sc.action.${tp}`)}
                    </option>
                  ))}
                </select>
              </label>
              {key && (
                <label class="field">
                  <span class="field__label">{t(`sc.action.key.${key}` as never)}</span>
                  {key === "endpoint_id" ? (
                    <EndpointPicker name={`${name}[${j}].${key}`} value={String(a[key] ?? "")} invalid={!!err} onChange={(id) => put(j, { ...a, [key]: id })} />
                  ) : (
                    <input name={`${name}[${j}].${key}`} value={String(a[key] ?? "")} aria-invalid={!!err} onInput={(e) => put(j, { ...a, [key]: e.currentTarget.value })} />
                  )}
                </label>
              )}
              {(a.type === "set_field" || a.type === "add_to_field") && (
                <label class="field field--narrow">
                  <span class="field__label">{t(a.type === "set_field" ? "sc.cond.value" : "sc.action.amount")}</span>
                  <input
                    value={String((a.type === "set_field" ? a.value : a.amount) ?? "")}
                    onInput={(e) => put(j, a.type === "set_field" ? { ...a, value: e.currentTarget.value } : { ...a, amount: Number(e.currentTarget.value) })}
                  />
                </label>
              )}
              <button type="button" class="btn btn--ghost btn--small" onClick={() => onChange(value.filter((_, m) => m !== j))}>
                {t("me.remove")}
              </button>
            </div>
            {err && <span class="field__error">{err}</span>}
          </div>
        );
      })}
      <div>
        <button type="button" class="btn btn--ghost btn--small" onClick={() => onChange([...value, { type: "add_tag", tag: "" }])} data-testid="action-add">
          + {t("sc.action.add")}
        </button>
      </div>
    </div>
  );
}
