/** 配信停止 of one friend: per channel (LINE, e-mail, SMS) and "all", when and how each last changed, and a
 * button to stop or resume it (GET/PUT /api/subscribers/{id}/opt-out). */
import { useEffect, useState } from "preact/hooks";
import { ErrorNotice } from "../../components/ErrorNotice";
import { useApp } from "../../context";
import { type DictKey, hasKey, t } from "../../i18n";
import { formatDateTime } from "../settings/ui";

export type OptOutScope = "all" | "line" | "email" | "sms";
export const SCOPES: readonly OptOutScope[] = ["all", "line", "email", "sms"];

export interface OptOutChange {
  stopped: boolean;
  at: string;
  via: string;
}
export type OptOutState = Record<OptOutScope, boolean> & { changes: Partial<Record<OptOutScope, OptOutChange>> };

/** "when · how" of a scope's last change, or "never changed". */
export function describeChange(change: OptOutChange | undefined): string {
  if (!change) return t("oo.never");
  const key = `oo.via.${change.via}`;
  const via = hasKey(key) ? t(key as DictKey) : t("oo.via.other");
  return t("oo.changed", { at: formatDateTime(change.at), via });
}

export function OptOutPanel({ id, canEdit, onChanged }: { id: string; canEdit: boolean; onChanged?: () => void }) {
  const { api } = useApp();
  const [state, setState] = useState<OptOutState | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<OptOutScope | null>(null);
  const load = () => api.get<OptOutState>(`/api/subscribers/${id}/opt-out`).then((s) => (setState(s), setError(null)), setError);
  useEffect(() => void load(), [id]);
  const change = async (scope: OptOutScope, stopped: boolean) => {
    if (scope === "all" && stopped && !globalThis.confirm?.(t("oo.confirmAll"))) return;
    setBusy(scope);
    try {
      setState(await api.put<OptOutState>(`/api/subscribers/${id}/opt-out`, { channel: scope, stopped }));
      setError(null);
      onChanged?.();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };
  return (
    <section class="card" data-testid="opt-out">
      <h2 class="card__title">{t("oo.title")}</h2>
      <ErrorNotice error={error} onRetry={() => (setError(null), load())} />
      {!state && !error && <p class="muted">{t("app.loading")}</p>}
      {state && (
        <dl class="facts">
          {SCOPES.map((scope) => (
            <>
              <dt key={`${scope}-t`}>{t(`oo.scope.${scope}` as DictKey)}</dt>
              <dd key={`${scope}-d`} data-testid={`opt-out-${scope}`} data-stopped={state[scope] ? "true" : "false"}>
                <div class="row row--between">
                  <span>
                    <span class={`badge ${state[scope] ? "badge--warn" : "badge--ok"}`}>{t(state[scope] ? "oo.state.stopped" : "oo.state.active")}</span>{" "}
                    <span class="muted" style={{ fontSize: "12px" }}>{describeChange(state.changes?.[scope])}</span>
                  </span>
                  {canEdit && (
                    <button type="button" class="btn btn--small btn--ghost" disabled={busy !== null}
                      onClick={() => void change(scope, !state[scope])} data-testid={`opt-out-toggle-${scope}`}>
                      {t(state[scope] ? "oo.resume" : "oo.stop")}
                    </button>
                  )}
                </div>
              </dd>
            </>
          ))}
        </dl>
      )}
    </section>
  );
}
