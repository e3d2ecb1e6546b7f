/**
 * 配信エラー: the deliveries held after every retry failed (dead letters: GET /api/deliveries/dead-letters, resent
 * with POST .../replay behind a confirm, the count shown; LINE ones over 23 h old only when forced, with the API's
 * warning), the delivery error log (GET /api/deliveries/errors, paged) and the Stripe events kept for review
 * (GET /api/payments/stripe/events, POST .../{event_id}/replay).
 * Routes: #/deliveries (held), #/deliveries/errors, #/deliveries/stripe
 */
import { useState } from "preact/hooks";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListScreen, type ResourceKind, useApiList, useApiPages } from "../../components/ResourceScreen";
import { Table } from "../../components/Table";
import { useApp } from "../../context";
import { type DictKey, hasKey, t } from "../../i18n";
import { useAction } from "../../lib/useAction";
import { href, useRoute } from "../../router";
import { formatDateTime } from "../settings/ui";

export interface DeadLetter {
  delivery_id: string | null;
  kind: string | null;
  channel: string | null;
  reason: string;
  first_failed_at: string | null;
  receive_count: number;
  message_id: string;
}
export interface DeliveryError {
  delivery_id: string;
  kind: string;
  channel: string;
  status: string;
  subscriber_id: string | null;
  error: string | null;
  attempts: number;
  scheduled_at: string | null;
}
export interface ReplayResult {
  replayed: number;
  already_sent: number;
  unreadable: number;
  too_old_for_line: number;
  warning?: string;
}
interface StripeEvent {
  event_id: string;
  type: string;
  outcome: string;
  last_received_at: string | null;
}

const KIND: ResourceKind = { path: "/deliveries", title: "nav.deliveryErrors", lead: "de.lead", newLabel: "nav.deliveryErrors", testId: "deliveries" };
const TABS = [
  ["", "de.tab.dead"],
  ["errors", "de.tab.errors"],
  ["stripe", "de.tab.stripe"],
] as const;

const kindLabel = (k: string | null) => (k && hasKey(`de.kind.${k}`) ? t(`de.kind.${k}` as DictKey) : (k ?? "—"));

function Tabs({ on }: { on: string }) {
  return (
    <nav class="tabs" aria-label={t("nav.deliveryErrors")} data-testid="deliveries-tabs">
      {TABS.map(([sub, label]) => (
        <a key={sub} class={`tabs__tab${on === sub ? " tabs__tab--on is-on" : ""}`} href={href(sub ? `/deliveries/${sub}` : "/deliveries")} aria-current={on === sub ? "page" : undefined} data-tab={sub || "dead"}>
          {t(label)}
        </a>
      ))}
    </nav>
  );
}

function ReplayOutcome({ result }: { result: ReplayResult }) {
  return (
    <div class="notice notice--info" role="status" data-testid="replay-result">
      <strong>{t("de.replayed", { n: result.replayed })}</strong>{" "}
      {(result.already_sent > 0 || result.unreadable > 0) && t("de.replayed.detail", { sent: result.already_sent, bad: result.unreadable })}
    </div>
  );
}

export function DeadLetters() {
  const { api, session } = useApp();
  const list = useApiList<DeadLetter>("/api/deliveries/dead-letters");
  const replaying = useAction();
  const [result, setResult] = useState<ReplayResult | null>(null);
  const canReplay = session.role === "owner" || session.role === "admin";
  const replay = (force: boolean) =>
    void replaying.run(async () => {
      const r = await api.post<ReplayResult>(`/api/deliveries/dead-letters/replay${force ? "?force_old_line=true" : ""}`);
      setResult(r);
      list.reload();
    });
  const n = list.rows?.length ?? 0;
  return (
    <ListScreen
      kind={KIND}
      list={list}
      creates={false}
      empty={t("de.dead.empty")}
      above={
        <>
          <Tabs on="" />
          <p class="muted">{t("de.dead.lead")}</p>
          {result && <ReplayOutcome result={result} />}
          {result && result.too_old_for_line > 0 && (
            <div class="notice notice--warn" role="alert" data-testid="replay-too-old">
              <p>{t("de.tooOld", { n: result.too_old_for_line })}</p>
              {result.warning && <p>{result.warning}</p>}
              {canReplay && (
                <ConfirmButton label={t("de.force")} confirmLabel={t("de.force")} question={t("de.force.q")} busy={replaying.busy} onConfirm={() => replay(true)} testId="replay-force" />
              )}
            </div>
          )}
          <ErrorNotice error={replaying.error} onDismiss={() => replaying.setError(null)} />
        </>
      }
      actions={
        canReplay &&
        n > 0 && (
          <ConfirmButton large label={t("de.replay")} confirmLabel={t("de.replay.run")} question={t("de.replay.q", { n })} busy={replaying.busy} onConfirm={() => replay(false)} testId="replay" />
        )
      }
    >
      {(rows) => (
        <Table testId="dead-letters" columns={[t("de.col.since"), t("de.col.kind"), t("de.col.channel"), t("de.col.reason"), { label: t("de.col.tries"), num: true }, t("de.col.delivery")]}>
          {rows.map((r) => (
            <tr key={r.message_id} data-delivery={r.delivery_id ?? ""}>
              <td>{formatDateTime(r.first_failed_at)}</td>
              <td style={{ whiteSpace: "nowrap" }}>{kindLabel(r.kind)}</td>
              <td>{r.channel ?? "—"}</td>
              <td>{r.reason}</td>
              <td class="num">{r.receive_count}</td>
              <td class="mono">{r.delivery_id ?? "—"}</td>
            </tr>
          ))}
        </Table>
      )}
    </ListScreen>
  );
}

export function ErrorLog() {
  const list = useApiPages<DeliveryError>("/api/deliveries/errors", { limit: 50 });
  return (
    <ListScreen kind={KIND} list={list} creates={false} empty={t("de.errors.empty")} above={<Tabs on="errors" />}>
      {(rows) => (
        <Table testId="delivery-errors" columns={[t("de.col.when"), t("de.col.kind"), t("de.col.channel"), t("de.col.friend"), t("de.col.reason"), { label: t("de.col.tries"), num: true }, t("de.col.status")]}>
          {rows.map((r) => (
            <tr key={r.delivery_id} data-delivery={r.delivery_id}>
              <td>{formatDateTime(r.scheduled_at)}</td>
              <td style={{ whiteSpace: "nowrap" }}>{kindLabel(r.kind)}</td>
              <td>{r.channel}</td>
              <td>{r.subscriber_id ? <a href={href(`/friends/${r.subscriber_id}`)}>{r.subscriber_id}</a> : "—"}</td>
              <td>{r.error ?? "—"}</td>
              <td class="num">{r.attempts}</td>
              <td>
                <span class="badge badge--warn">{r.status}</span>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </ListScreen>
  );
}

function StripeReplay({ ev, onDone }: { ev: StripeEvent; onDone: () => void }) {
  const { api } = useApp();
  const action = useAction();
  const [outcome, setOutcome] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        class="btn btn--small btn--ghost"
        disabled={action.busy}
        data-testid="stripe-replay"
        onClick={() =>
          void action.run(async () => {
            const r = await api.post<{ outcome: string }>(`/api/payments/stripe/events/${ev.event_id}/replay`);
            setOutcome(r.outcome);
            onDone();
          })
        }
      >
        {t("de.stripe.replay")}
      </button>
      {outcome && <span role="status">{t("de.stripe.replayed", { outcome })}</span>}
      <ErrorNotice error={action.error} onDismiss={() => action.setError(null)} />
    </>
  );
}

export function StripeEvents() {
  const { session } = useApp();
  const list = useApiList<StripeEvent>("/api/payments/stripe/events");
  const canReplay = session.role === "owner" || session.role === "admin";
  return (
    <ListScreen kind={KIND} list={list} creates={false} empty={t("de.stripe.empty")} above={<><Tabs on="stripe" /><p class="muted">{t("de.stripe.lead")}</p></>}>
      {(rows) => (
        <Table testId="stripe-events" columns={[t("de.col.at"), t("de.col.event"), t("de.col.outcome"), ""]}>
          {rows.map((r) => (
            <tr key={r.event_id}>
              <td>{formatDateTime(r.last_received_at)}</td>
              <td>
                {r.type} <span class="mono muted">{r.event_id}</span>
              </td>
              <td>{r.outcome}</td>
              <td>{canReplay && r.outcome === "unmatched" && <StripeReplay ev={r} onDone={list.reload} />}</td>
            </tr>
          ))}
        </Table>
      )}
    </ListScreen>
  );
}

export default function DeliveryErrorsScreen() {
  const sub = useRoute().path.replace(/^\/deliveries\/?/, "").split("/")[0];
  if (sub === "errors") return <ErrorLog />;
  if (sub === "stripe") return <StripeEvents />;
  return <DeadLetters />;
}
